-- What CloudWatch metered for each NAT gateway, by the hour (flowsql enrich nat-metrics): the
-- AWS/NATGateway metrics BytesInFromSource, BytesInFromDestination, BytesOutToSource and
-- BytesOutToDestination (Sum) and ActiveConnectionCount (Maximum). What the gateway processed,
-- and AWS bills, is what it received: bytes_in_from_source + bytes_in_from_destination. A
-- metric CloudWatch had no datapoint for in an hour is NULL.
CREATE TABLE IF NOT EXISTS nat_metrics (
    nat_gateway_id            VARCHAR NOT NULL,
    hour                      TIMESTAMP NOT NULL,
    bytes_in_from_source      BIGINT,
    bytes_in_from_destination BIGINT,
    bytes_out_to_source       BIGINT,
    bytes_out_to_destination  BIGINT,
    active_connections_max    BIGINT,
    region                    VARCHAR,
    fetched_at                TIMESTAMP,
    PRIMARY KEY (nat_gateway_id, hour)
);
