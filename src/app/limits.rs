//! Slow and greedy callers (CONTRACT "Sharper rules"): a request body must arrive within a
//! bounded time, and the open connections of one source address are capped, so that neither
//! a few slow callers nor one greedy one can use up the server's file descriptors and starve
//! `/healthz` or anyone else.
//!
//! actix-web's `client_request_timeout` bounds the request head only; the body is bounded here,
//! by wrapping the payload stream with a deadline.

use std::any::Any;
use std::cell::Cell;
use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Extensions, Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{ConnectionType, StatusCode};
use actix_web::middleware::Next;
use actix_web::rt::time::Sleep;
use actix_web::web::{self, Bytes};
use actix_web::{HttpMessage, HttpResponse};
use futures_core::Stream;

use crate::domain::Core;

/// Open connections by source address (IPv6 by /64, as the rate limits count).
pub struct ConnectionCounts {
    cap: u32,
    open: Mutex<HashMap<IpAddr, u32>>,
}

/// One connection's place in the count; given back when the connection is dropped.
pub struct ConnectionSlot {
    counts: Arc<ConnectionCounts>,
    source: IpAddr,
    /// Opened while its address already had `cap` others open: its requests are refused.
    pub over_cap: bool,
}

/// The address a connection is counted under.
fn source_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::from(segments)
            }
        },
    }
}

impl ConnectionCounts {
    /// Counts allowing `cap` open connections per source address.
    pub fn new(cap: u32) -> Arc<Self> {
        Arc::new(ConnectionCounts {
            cap,
            open: Mutex::new(HashMap::new()),
        })
    }

    /// Counts a new connection from `ip`.
    pub fn open(self: &Arc<Self>, ip: IpAddr) -> ConnectionSlot {
        let source = source_key(ip);
        let mut open = match self.open.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let count = open.entry(source).or_insert(0);
        *count += 1;
        ConnectionSlot {
            counts: self.clone(),
            source,
            over_cap: *count > self.cap,
        }
    }

    /// Open connections from `ip` now.
    pub fn open_from(&self, ip: IpAddr) -> u32 {
        match self.open.lock() {
            Ok(g) => g.get(&source_key(ip)).copied().unwrap_or(0),
            Err(poisoned) => poisoned
                .into_inner()
                .get(&source_key(ip))
                .copied()
                .unwrap_or(0),
        }
    }

    /// For `HttpServer::on_connect`: counts the connection and keeps its slot with it.
    pub fn on_connect(self: &Arc<Self>, connection: &dyn Any, data: &mut Extensions) {
        if let Some(stream) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() {
            if let Ok(peer) = stream.peer_addr() {
                data.insert(self.open(peer.ip()));
            }
        }
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut open = match self.counts.open.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(count) = open.get_mut(&self.source) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.source);
            }
        }
    }
}

fn closing(status: StatusCode, text: &'static str) -> HttpResponse {
    let mut res = HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8"))
        .body(text);
    res.head_mut().set_connection_type(ConnectionType::Close);
    res
}

/// The payload, cut off with an error when the whole body has not arrived by the deadline.
/// The timer is made only if the body is not all there at the first read: a small form that
/// came with its head (the token endpoint's usual request) costs no timer at all.
struct Deadline {
    inner: Payload,
    until: Instant,
    sleep: Option<Pin<Box<Sleep>>>,
    expired: Rc<Cell<bool>>,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        // What has arrived is handed on first, even when the deadline has passed meanwhile.
        if let Poll::Ready(item) = Pin::new(&mut this.inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        let until = this.until;
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(actix_web::rt::time::sleep_until(until.into())));
        if sleep.as_mut().poll(cx).is_ready() {
            this.expired.set(true);
            return Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the request body did not arrive in time",
            )))));
        }
        Poll::Pending
    }
}

/// Whether the head announces a body.
fn has_body(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0")
}

/// Middleware: a request on a connection over its address's cap gets 503 at once, and the
/// connection is closed; the body must arrive within `limits.body_timeout_seconds` of the
/// head, else 408 and the connection is closed. One layer for both.
pub async fn callers(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let over = req
        .conn_data::<ConnectionSlot>()
        .is_some_and(|slot| slot.over_cap);
    if over {
        let mut res = closing(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many connections from this address\n",
        );
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return Ok(req.into_response(res).map_into_right_body());
    }
    let timeout = req
        .app_data::<web::Data<Core>>()
        .map(|s| s.settings.limits.body_timeout_seconds);
    let Some(seconds) = timeout.filter(|_| has_body(&req)) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let expired = Rc::new(Cell::new(false));
    let deadline = Deadline {
        inner: req.take_payload(),
        until: Instant::now() + Duration::from_secs(seconds),
        sleep: None,
        expired: expired.clone(),
    };
    req.set_payload(Payload::Stream {
        payload: Box::pin(deadline),
    });
    let result = next.call(req).await;
    if !expired.get() {
        return result.map(ServiceResponse::map_into_left_body);
    }
    match result {
        Ok(res) => Ok(res.into_response(body_timed_out()).map_into_right_body()),
        Err(_) => Err(BodyTimedOut.into()),
    }
}

fn body_timed_out() -> HttpResponse {
    closing(
        StatusCode::REQUEST_TIMEOUT,
        "the request body did not arrive in time\n",
    )
}

/// A handler that failed on a body cut off by the deadline answers 408 all the same.
#[derive(Debug)]
struct BodyTimedOut;

impl std::fmt::Display for BodyTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request body did not arrive in time")
    }
}

impl actix_web::ResponseError for BodyTimedOut {
    fn status_code(&self) -> StatusCode {
        StatusCode::REQUEST_TIMEOUT
    }

    fn error_response(&self) -> HttpResponse {
        body_timed_out()
    }
}
