"""The API key as one object: shown nowhere, text only where the header is written.

`Credential` holds the key (stripped, checked) and is what the transport keeps.
Its `repr`, `str`, pickle and deepcopy never show the key; `authorize` is the
one function that turns it into text, and only into the `Authorization` header
of a headers object of the HTTP library (whose `repr` masks it). `fingerprint`
tells keys apart (the pooled clients are kept per key) without saying anything
about them. `credential_like` tells which argument names could hold a credential,
so that none of them is sent in a request body. No I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import MutableMapping
from typing import Any, NoReturn

from pydantic import SecretStr

__all__ = ["Credential", "credential_like", "misplaced_credential"]

_SALT = os.urandom(16)
"""Per process: a fingerprint is worthless outside it."""
_NO_KEY = (
    "No MashaGPT API key: set the MASHAGPT_API_KEY environment variable or pass "
    "api_key=... to ChatMashaGPT."
)
_UNSENDABLE = (
    "The MashaGPT API key holds a character that cannot be sent in an HTTP "
    "header (a space, a control character or a non-ASCII letter inside it). "
    "Copy the key again from your MashaGPT account; it is not shown here."
)
_WORDS = frozenset(
    {
        "key",
        "apikey",
        "token",
        "secret",
        "password",
        "passwd",
        "pwd",
        "credential",
        "credentials",
        "auth",
        "authorization",
        "bearer",
        "oauth",
    }
)
_PARTS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def credential_like(name: str) -> bool:
    """Whether an argument or query name could hold a credential (`apiKey`, `access_token`, …).

    The name is split at `_`, `-`, `.` and camelCase; one word of it is `key`,
    `token`, `secret`, `password`, `credential(s)`, `auth…` or `bearer`
    (`max_tokens` is not: `tokens` counts, it does not authorise).
    """
    words = [w.lower() for w in _PARTS.findall(name)]
    return any(w in _WORDS or w.startswith("auth") for w in words) or name.lower() in _WORDS


def misplaced_credential(name: str) -> NoReturn:
    """Refuse a constructor argument named like a credential, without showing its value.

    Raises:
        ValueError: Always; it names `api_key` and how to pass the key.
    """
    raise ValueError(
        f"ChatMashaGPT has no argument {name!r}, and it looks like a credential, so it is "
        "not sent in the request body (where unknown arguments go): pass the MashaGPT key "
        "as api_key=... or set the MASHAGPT_API_KEY environment variable. (If it really is "
        f"a body field, pass model_kwargs={{{name!r}: ...}}.) The value is not shown."
    )


def _problem(secret: SecretStr | str | None) -> str | None:
    """Why the key cannot be sent, or `None`; the plain key lives only in this frame."""
    key = _plain(secret).strip()
    if not key:
        return _NO_KEY
    if not all(33 <= ord(c) <= 126 for c in key):
        return _UNSENDABLE
    return None


def _plain(secret: SecretStr | str | None) -> str:
    if isinstance(secret, SecretStr):
        return secret.get_secret_value()
    return secret if isinstance(secret, str) else ""


def _stripped(secret: SecretStr | str) -> SecretStr:
    return SecretStr(_plain(secret).strip())


class Credential:
    """The API key, checked: surrounding whitespace dropped, unsendable keys refused.

    Args:
        secret: The key as given (`ChatMashaGPT.api_key`; a plain `str` assigned to it
            later is taken too).

    Raises:
        ValueError: No key, or one with a character a header cannot carry; the
            message shows no part of it.
    """

    __slots__ = ("_secret",)

    def __init__(self, secret: SecretStr | str | None) -> None:
        problem = _problem(secret)
        if problem is not None:
            raise ValueError(problem)
        assert secret is not None  # `_problem` refused None
        self._secret = _stripped(secret)

    def authorize(self, headers: MutableMapping[str, str]) -> None:
        """Write the `Authorization` header into `headers`: the one place the key is text."""
        headers["Authorization"] = "Bearer " + self._secret.get_secret_value()

    def fingerprint(self) -> str:
        """A keyed hash that tells keys apart in this process and reveals nothing of them."""
        value = self._secret.get_secret_value().encode()
        return hmac.new(_SALT, value, hashlib.sha256).hexdigest()[:16]

    def secret(self) -> SecretStr:
        """The key, still wrapped, for the redactor to mask it."""
        return self._secret

    def __repr__(self) -> str:
        """`Credential('<API key>')`: never the key."""
        return "Credential('<API key>')"

    __str__ = __repr__

    def __copy__(self) -> Credential:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Credential:
        return self

    def __reduce__(self) -> NoReturn:
        """Refused: a pickle would hold the key in plain text."""
        raise TypeError(
            "A MashaGPT Credential is not pickled (the pickle would hold the key); "
            "build the model again where it is needed, with api_key= or MASHAGPT_API_KEY."
        )
