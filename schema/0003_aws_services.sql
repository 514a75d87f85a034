-- Every service that lists an address, beside the one that names it: AWS lists many S3 and
-- DynamoDB prefixes under EC2 too, and a gateway endpoint carries whatever the S3 and DynamoDB
-- prefix lists hold. The segments are rebuilt by the next step (Go), which fills the column.
ALTER TABLE aws_ip_segments ADD COLUMN IF NOT EXISTS services VARCHAR[];
