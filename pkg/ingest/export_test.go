package ingest

// What the external tests reach inside the package.
type AddrKeys = addrKeys

var NewAddrKeys = newAddrKeys
