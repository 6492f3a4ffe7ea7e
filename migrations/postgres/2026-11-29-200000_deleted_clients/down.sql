DROP TABLE deleted_clients;
