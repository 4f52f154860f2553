"""Cost of checking a member request's signature: RFC 9421 (parse Signature-Input,
verify Content-Digest, rebuild the signature base, Ed25519) against the former
X-Capactif-* scheme measured in the same run, on a 1,000-fiche batch body and on a GET.

    .venv/bin/python bench/signatures.py [--loops 300] [--rounds 5]

Rounds alternate the two schemes (the machine is shared); prints µs per check, best of
the rounds, and the ratio RFC 9421 / former.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from connectors import signing
from connectors.http_signatures import sign_request_rfc9421
from hub.config import Settings
from hub.domain.http_signatures import RequestLine
from hub.services.accounts.signatures import combined_headers, presented_signature

KEY = Ed25519PrivateKey.generate()
PUBLIC = KEY.public_key()
SETTINGS = Settings()
NOW = dt.datetime.now(dt.UTC)


def _check(method: str, target: str, body: bytes, headers: dict[str, str]) -> Callable[[], None]:
    merged = combined_headers(list(headers.items()))
    line = RequestLine(method, "https", target, merged, body)

    def check() -> None:
        signed = presented_signature(SETTINGS, line, "cci-63", NOW)
        PUBLIC.verify(signed.signature, signed.message)
    return check


def _cases(body: bytes) -> dict[str, tuple[Callable[[], None], Callable[[], None]]]:
    cases = {}
    for name, method, target, payload in (("push 1000 fiches", "POST", "/v1/fiches", body),
                                          ("GET feed", "GET", "/v1/feed?after=42&limit=100", b"")):
        rfc = sign_request_rfc9421(KEY, "cci-63", method, target, payload)
        former = signing.sign_request(KEY, method, target, payload)
        cases[name] = (_check(method, target, payload, rfc), _check(method, target, payload, former))
    return cases


def _per_call_us(func: Callable[[], None], loops: int) -> float:
    start = time.perf_counter()
    for _ in range(loops):
        func()
    return (time.perf_counter() - start) / loops * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loops", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    fiche = {"fiche_id": "F-1", "membre": "cci-63", "version": 1, "porteur": {"nom": "x" * 400}}
    body = json.dumps({"fiches": [fiche] * 1000}).encode()
    for name, (rfc, former) in _cases(body).items():
        best_rfc = best_former = float("inf")
        for _ in range(args.rounds):
            best_former = min(best_former, _per_call_us(former, args.loops))
            best_rfc = min(best_rfc, _per_call_us(rfc, args.loops))
        print(f"{name:18s} ({len(body) if 'push' in name else 0:>7d} B): RFC 9421 {best_rfc:8.1f} µs, "
              f"former {best_former:8.1f} µs, ratio {best_rfc / best_former:.2f}")


if __name__ == "__main__":
    main()
