"""TLS for the client and the host: contexts that verify, and failures in words a player understands.

The client verifies a server's certificate against the operating system's trust store
(``truststore``, which pip uses too) and checks the host name; a private authority
for a self-hosted server can be added with a PEM file (``--ca-file``). There is no
way to switch verification off. The host serves HTTPS and WSS on one port from a
certificate chain and a key in PEM files.

``explain`` turns an ``ssl`` exception into one sentence: untrusted or self-signed
certificate, certificate for another name, expired, or "that server does not speak
TLS on this port".
"""

from __future__ import annotations

import ssl
from pathlib import Path

import truststore

from game.phrase import Phrase

# OpenSSL's verification results (X509_V_ERR_*) that have a plainer name.
_EXPIRED = {9, 10}  # not yet valid, expired
_UNTRUSTED = {2, 18, 19, 20, 21, 27}  # unknown issuer, self-signed (leaf or chain), untrusted
_WRONG_NAME = {62}  # hostname mismatch
# What OpenSSL reports when the other side answered a TLS handshake with something else.
_NOT_TLS = ("wrong_version_number", "wrong version number", "record layer failure", "packet length too long",
            "unknown protocol", "http request", "record_layer_failure", "unexpected eof")


class TlsConfigError(ValueError):
    """A certificate, key or authority file that cannot be used; the message says which and why."""


def client_context(ca_file: str | Path | None = None) -> ssl.SSLContext:
    """A context that verifies servers against the system's trust store, and ``ca_file`` too if given.

    Raises TlsConfigError if ``ca_file`` is missing, unreadable or not PEM certificates.
    """
    if ca_file is None:
        context: ssl.SSLContext = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    else:
        # A private authority: OpenSSL's own store plus the file (truststore verifies through
        # the system's API on some platforms, which would not see the extra authority).
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        check_pem(ca_file, "certificate authority file", "CERTIFICATE")
        try:
            context.load_verify_locations(cafile=str(ca_file))
        except (ssl.SSLError, OSError) as exc:
            raise TlsConfigError(Phrase("the certificate authority file {path} cannot be used ({reason})", path=str(ca_file),
                                         reason=_short(exc))) from None
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def server_context(cert_file: str | Path, key_file: str | Path) -> ssl.SSLContext:
    """A context serving the certificate chain in ``cert_file`` with the private key in ``key_file``.

    Raises TlsConfigError (one line) if a file is missing, unreadable, not PEM, or the two do not match.
    """
    check_pem(cert_file, "certificate file", "CERTIFICATE")
    check_pem(key_file, "key file", "PRIVATE KEY")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        # A key under a pass phrase would make OpenSSL ask for it on the terminal, and a headless
        # server would wait there for ever: the callback refuses instead (it is only called then).
        context.load_cert_chain(str(cert_file), str(key_file), password=_no_pass_phrase)
    except _PassPhraseNeeded:
        raise TlsConfigError(
            f"the key in {key_file} is protected by a pass phrase: give the server a key file without one"
        ) from None
    except ssl.SSLError as exc:
        if "KEY_VALUES_MISMATCH" in str(exc).upper():
            raise TlsConfigError(f"the key in {key_file} does not belong to the certificate in {cert_file}") from None
        damaged = key_file if _certificates_load(cert_file) else cert_file
        raise TlsConfigError(f"the {'key' if damaged == key_file else 'certificate'} file {damaged} is damaged: "
                             f"its PEM block cannot be read ({_short(exc)})") from None
    except OSError as exc:
        raise TlsConfigError(f"cannot read {cert_file} or {key_file}: {exc.strerror or exc}") from None
    context.set_alpn_protocols(["http/1.1"])
    return context


def _certificates_load(cert_file: str | Path) -> bool:
    """True if OpenSSL reads the certificates in ``cert_file`` (to tell which of two files is damaged)."""
    try:
        ssl.create_default_context().load_verify_locations(cafile=str(cert_file))
    except (ssl.SSLError, OSError):
        return False
    return True


class _PassPhraseNeeded(Exception):
    """Raised by ``_no_pass_phrase``: the key file is encrypted."""


def _no_pass_phrase() -> bytes:
    raise _PassPhraseNeeded


def check_pem(path: str | Path, what: str, kind: str) -> None:
    """Raise TlsConfigError unless ``path`` is a readable file holding a PEM block of ``kind``."""
    try:
        text = Path(path).read_bytes()[: 1024 * 1024]
    except FileNotFoundError:
        raise TlsConfigError(Phrase("the {what} {path} does not exist", what=what, path=str(path))) from None
    except IsADirectoryError:
        raise TlsConfigError(Phrase("the {what} {path} is a folder, not a file", what=what, path=str(path))) from None
    except OSError as exc:
        raise TlsConfigError(Phrase("the {what} {path} cannot be read: {reason}", what=what, path=str(path),
                                    reason=str(exc.strerror or exc))) from None
    if b"-----BEGIN " not in text or kind.encode() not in text:
        raise TlsConfigError(Phrase("the {what} {path} is not in PEM format (no '-----BEGIN ...{kind}-----' block)",
                                    what=what, path=str(path), kind=kind))


def explain(error: BaseException, server: str) -> str:
    """One sentence for a failed TLS handshake with ``server`` (as the player wrote it)."""
    if isinstance(error, ssl.SSLCertVerificationError):
        code = error.verify_code
        message = (error.verify_message or str(error)).lower()
        if code in _WRONG_NAME or "hostname" in message or "ip address mismatch" in message:
            return Phrase("The certificate of {server} is for another name: this may not be the server you meant", server=server)
        if code in _EXPIRED or "expired" in message or "not yet valid" in message:
            return Phrase("The certificate of {server} has expired (or is not valid yet): its operator must renew it",
                          server=server)
        if code in _UNTRUSTED or "self" in message or "issuer" in message or "untrusted" in message:
            return Phrase("The certificate of {server} is self-signed or from an authority this computer does not trust "
                          "(if you run the server, give its authority with --ca-file)", server=server)
        return Phrase("The certificate of {server} was refused: {reason}", server=server,
                      reason=str(error.verify_message or error))
    text = str(error).lower()
    if any(sign in text for sign in _NOT_TLS):
        return Phrase("{server} does not speak TLS on this port: try http:// or another port", server=server)
    return Phrase("The secure connection to {server} failed ({reason})", server=server, reason=_short(error))


def expects_tls(first_bytes: bytes, body: str = "") -> bool:
    """True if a plain HTTP request was answered by a TLS server: a TLS record, or a 400 naming HTTPS or TLS."""
    if first_bytes[:1] in (b"\x15", b"\x16") and first_bytes[1:2] == b"\x03":
        return True
    lowered = body.lower()
    return "https" in lowered or "tls" in lowered or "ssl" in lowered


def _short(error: BaseException) -> str:
    text = getattr(error, "reason", None) or getattr(error, "strerror", None) or str(error)
    return str(text).replace("_", " ").lower()[:120]
