"""Security primitives shared by every module: token verification and the request's principal."""
