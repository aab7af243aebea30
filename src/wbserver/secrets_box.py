"""Encrypting saved secret settings with a key derived from the server's secret."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from wbserver.errors import ConfigError


class SecretBox:
    PREFIX = "enc:v1:"

    def __init__(self, server_secret: bytes) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"wbserver",
                   info=b"saved-settings").derive(server_secret)
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def encrypt(self, value: str) -> str:
        return self.PREFIX + self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, stored: str) -> str:
        if not stored.startswith(self.PREFIX):
            return stored
        try:
            return self._fernet.decrypt(stored[len(self.PREFIX):].encode()).decode()
        except InvalidToken:
            raise ConfigError("a saved secret cannot be decrypted: WBSERVER_SECRET_KEY (or the "
                              "data folder's secret.key) changed since it was saved") from None
