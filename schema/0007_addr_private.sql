-- Whether each address that is not IPv4 is private, kept with its key (the loader fills it;
-- the late migration 0008_addr_private_values fills it for addresses loaded before):
-- key_is_private then reads a column instead of testing eight prefixes, which plans slowly.
ALTER TABLE flowsql_addr_keys ADD COLUMN IF NOT EXISTS private BOOLEAN;
