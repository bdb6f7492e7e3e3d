#!/usr/bin/env bash
# grpcurl (a gRPC client nobody here wrote: the gRPC e2e tests call the server through
# it with reflection only) and ghz (gRPC load generator for `npm run bench`), pinned.
# Go is needed (Go module proxy); a present binary of the same version is kept.
set -euo pipefail
want_grpcurl=v1.9.4
want_ghz=v0.93.0
have() { command -v "$1" >/dev/null 2>&1 && go version -m "$(command -v "$1")" 2>/dev/null | grep -q "	mod	.*	$2	"; }
have grpcurl "$want_grpcurl" || go install "github.com/fullstorydev/grpcurl/cmd/grpcurl@$want_grpcurl"
have ghz "$want_ghz" || go install "github.com/bojand/ghz/cmd/ghz@$want_ghz"
