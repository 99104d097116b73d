"""`cobbler-winpe verify`: walk a client's boot chain over the real TFTP and HTTP servers, link by link."""
