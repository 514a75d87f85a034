-- What the bill says about NAT gateways (flowsql enrich cost): Cost Explorer's GetCostAndUsage,
-- daily, by usage type and region, for the usage types *NatGateway-Bytes (data processing, in
-- GB of 2^30 bytes) and *NatGateway-Hours (gateway-hours). It covers every NAT gateway of the
-- account (or of the organisation, from its management account) in the region.
CREATE TABLE IF NOT EXISTS billed_cost (
    day        DATE NOT NULL,
    region     VARCHAR NOT NULL,
    usage_type VARCHAR NOT NULL,
    charge     VARCHAR NOT NULL,   -- 'data processing' or 'hours'
    quantity   DOUBLE,             -- GB processed, or gateway-hours
    unit       VARCHAR,
    cost       DOUBLE,             -- unblended
    currency   VARCHAR,
    estimated  BOOLEAN,            -- the day is not final yet
    fetched_at TIMESTAMP,
    PRIMARY KEY (day, region, usage_type)
);
