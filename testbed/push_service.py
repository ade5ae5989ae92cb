"""A stand-in Web Push service on loopback that checks what a real one checks.

`subscribe(application_server_key)` makes a subscription as a browser would get one: a
fresh P-256 key pair and auth secret (the browser's side, kept here to decrypt), an
endpoint `<base>/push/<id>`, bound to the VAPID public key it was made with. A push
(`POST /push/<id>`) is accepted (201 + Location) only when:
- `Authorization: vapid t=<JWT>,k=<key>` (RFC 8292): k is the key the subscription was made
  with, the JWT's ES256 signature verifies against it, `aud` is the endpoint's origin,
  `exp` is in the future and at most 24 h away, `sub` is a mailto: or https: contact;
- `TTL` is a whole number, `Content-Encoding: aes128gcm` (RFC 8188), `Topic` (if any) at
  most 32 base64url characters, the body at most 4096 bytes;
- the body decrypts with the subscription's private key and auth secret (RFC 8291).
It records each delivery (headers, decrypted payload, time). Refusals answer 400/401/403/413
with a reason. `fail_next` answers the next pushes with the given statuses (429 with
Retry-After, 500...); a subscription in `gone` answers 410, an unknown id 404.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import itertools
import json
import os
import re
import time
from typing import Any

import http_ece
from aiohttp import web
from multidict import CIMultiDict
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

MAX_BODY = 4096
_TOPIC = re.compile(r"[A-Za-z0-9_-]{1,32}")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclasses.dataclass
class StandInSubscription:
    id: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    server_key: str  # the applicationServerKey it was made with (base64url)

    def json(self) -> dict[str, Any]:
        """What `pushSubscription.toJSON()` gives the page."""
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": self.endpoint, "expirationTime": None,
                "keys": {"p256dh": b64url(point), "auth": b64url(self.auth)}}


@dataclasses.dataclass
class Delivery:
    subscription: str
    headers: CIMultiDict[str]  # as sent, read case-insensitively
    payload: dict[str, Any]
    at: float


class PushStandIn:
    def __init__(self) -> None:
        self.base = ""  # set once the server listens
        self.subscriptions: dict[str, StandInSubscription] = {}
        self.deliveries: list[Delivery] = []
        self.refusals: list[tuple[int, str]] = []
        self.fail_next: list[int] = []
        self.gone: set[str] = set()
        self.requests = 0
        self.delay_s = 0.0  # hold each push this long (to see the sender's concurrency)
        self.in_flight = 0
        self.max_in_flight = 0
        self._ids = itertools.count(1)

    def subscribe(self, application_server_key: str) -> StandInSubscription:
        sid = f"s{next(self._ids)}-{b64url(os.urandom(6))}"
        sub = StandInSubscription(sid, f"{self.base}/push/{sid}",
                                  ec.generate_private_key(ec.SECP256R1()), os.urandom(16),
                                  application_server_key)
        self.subscriptions[sid] = sub
        return sub

    def app(self) -> web.Application:
        app = web.Application(client_max_size=1 << 20)
        app.router.add_post("/push/{sid}", self.receive)
        return app

    def _refuse(self, status: int, reason: str) -> web.Response:
        self.refusals.append((status, reason))
        return web.json_response({"code": status, "errno": 0, "error": reason,
                                  "message": reason}, status=status)

    async def receive(self, request: web.Request) -> web.Response:
        self.requests += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            return await self._receive(request)
        finally:
            self.in_flight -= 1

    async def _receive(self, request: web.Request) -> web.Response:
        sid = request.match_info["sid"]
        body = await request.read()
        if self.fail_next:
            status = self.fail_next.pop(0)
            headers = {"Retry-After": "1"} if status == 429 else {}
            return web.Response(status=status, headers=headers, text="try later")
        sub = self.subscriptions.get(sid)
        if sub is None:
            return self._refuse(404, "no such subscription")
        if sid in self.gone:
            return self._refuse(410, "subscription expired or unsubscribed")
        problem = self._check_vapid(request.headers.get("Authorization", ""), sub)
        if problem:
            return self._refuse(401 if "JWT" in problem or "missing" in problem else 403, problem)
        problem = self._check_headers(request.headers, body)
        if problem:
            return self._refuse(413 if "large" in problem else 400, problem)
        try:
            clear = http_ece.decrypt(body, private_key=sub.private_key, auth_secret=sub.auth,
                                     version="aes128gcm")
            payload = json.loads(clear)
        except Exception as err:  # any failure to decrypt is the sender's: say so
            return self._refuse(400, f"payload does not decrypt: {type(err).__name__}")
        self.deliveries.append(Delivery(sid, CIMultiDict(request.headers), payload, time.time()))
        return web.Response(status=201, headers={
            "Location": f"{self.base}/message/{len(self.deliveries)}"})

    def _check_vapid(self, authorization: str, sub: StandInSubscription) -> str:
        match = re.fullmatch(r"vapid t=([\w.-]+),\s*k=([\w-]+)", authorization.strip())
        if not match:
            return "missing or malformed vapid Authorization"
        token, key = match.groups()
        if key.rstrip("=") != sub.server_key.rstrip("="):
            return "k is not the key this subscription was made with"
        try:
            head_b64, claims_b64, sig_b64 = token.split(".")
            header = json.loads(unb64url(head_b64))
            claims = json.loads(unb64url(claims_b64))
            signature = unb64url(sig_b64)
            public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
        except (ValueError, TypeError):
            return "JWT is malformed"
        if header.get("alg") != "ES256" or len(signature) != 64:
            return "JWT is not ES256"
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"),
                                   int.from_bytes(signature[32:], "big"))
        try:
            public.verify(der, f"{head_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return "JWT signature does not verify"
        origin = self.base
        if claims.get("aud") != origin:
            return f"JWT aud {claims.get('aud')!r} is not {origin!r}"
        now = time.time()
        if not isinstance(claims.get("exp"), int) or not now < claims["exp"] <= now + 86400:
            return "JWT exp is not within the next 24 hours"
        if not str(claims.get("sub", "")).startswith(("mailto:", "https://")):
            return "JWT sub is not a mailto: or https: contact"
        return ""

    @staticmethod
    def _check_headers(headers: Any, body: bytes) -> str:
        if not re.fullmatch(r"\d+", headers.get("TTL", "")):
            return "TTL header missing or not a whole number"
        if headers.get("Content-Encoding") != "aes128gcm":
            return "Content-Encoding must be aes128gcm"
        topic = headers.get("Topic")
        if topic is not None and not _TOPIC.fullmatch(topic):
            return "Topic must be 1 to 32 base64url characters"
        if len(body) > MAX_BODY:
            return "payload too large"
        return ""
