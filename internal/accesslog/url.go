package accesslog

import "bytes"

// SplitURL splits a request URL as load balancers log it
// (`scheme://host:port/path?query`) into its host, path and query. The host
// loses its port and, for an IPv6 literal, its brackets. The path runs to
// the first `?` and is empty when the URL has none (`https://example.com`);
// the query follows that `?`. A URL without a scheme (`/path`, `*`, or a
// CONNECT target) has no host and is all path. Nothing is decoded.
func SplitURL(u []byte) (host, path, query []byte) {
	rest := u
	// The scheme's "://" holds the URL's first slash; a "://" later on
	// belongs to the path or the query.
	if i := bytes.Index(u, []byte("://")); i >= 0 && bytes.IndexByte(u, '/') == i+1 {
		authority := u[i+3:]
		end := bytes.IndexAny(authority, "/?")
		if end < 0 {
			end = len(authority)
		}
		host, rest = hostOnly(authority[:end]), authority[end:]
	}
	if q := bytes.IndexByte(rest, '?'); q >= 0 {
		return host, rest[:q], rest[q+1:]
	}
	return host, rest, nil
}

// hostOnly drops the port and the brackets of an IPv6 literal.
func hostOnly(hostport []byte) []byte {
	if len(hostport) > 0 && hostport[0] == '[' {
		if rb := bytes.IndexByte(hostport, ']'); rb >= 0 {
			return hostport[1:rb]
		}
		return hostport
	}
	if i := bytes.LastIndexByte(hostport, ':'); i >= 0 {
		return hostport[:i]
	}
	return hostport
}
