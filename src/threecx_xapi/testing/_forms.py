"""HTML form bodies as a PBX's token endpoint reads them: URL-encoded or ``multipart/form-data``.

3CX's own web clients post the token request as ``FormData`` (multipart), other clients URL-encode it; both
carry the same fields. Multipart is parsed with the standard library's MIME parser, file parts included (their
bytes are the value); anything that is not well-formed is a :class:`FormError`.
"""

from __future__ import annotations

import email.message
import email.parser
import email.policy
from dataclasses import dataclass
from urllib.parse import parse_qsl

__all__ = ["FormError", "FormField", "boundary_of", "parse_form", "parse_multipart"]


class FormError(ValueError):
    """The body is not a form of the type it claims."""


@dataclass(frozen=True)
class FormField:
    name: str
    value: bytes

    @property
    def text(self) -> str:
        return self.value.decode("utf-8", "replace")


def boundary_of(content_type: str) -> str:
    """The ``boundary`` parameter of a multipart content type."""
    message = email.message.Message()
    message["Content-Type"] = content_type
    boundary = message.get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        raise FormError("multipart/form-data without a boundary")
    return boundary


def parse_multipart(content_type: str, body: bytes) -> list[FormField]:
    """The fields of a ``multipart/form-data`` body, in order."""
    boundary_of(content_type)
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
    try:
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    except Exception as exc:  # the parser raises many kinds on malformed input
        raise FormError(str(exc)) from None
    if not message.is_multipart() or message.defects:
        raise FormError("malformed multipart body")
    fields = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or part.get_content_disposition() != "form-data":
            raise FormError("a part without a form-data name")
        payload = part.get_payload(decode=True)
        fields.append(FormField(name, payload if isinstance(payload, bytes) else b""))
    return fields


def parse_form(content_type: str, body: bytes) -> dict[str, str]:
    """The fields of a token request body (URL-encoded or multipart), the last of a repeated name winning.

    An empty body is an empty form; a body of any other media type is a :class:`FormError`.
    """
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "multipart/form-data":
        return {f.name: f.text for f in parse_multipart(content_type, body)}
    if media == "application/x-www-form-urlencoded" or (not media and not body):
        try:
            return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False))
        except (UnicodeDecodeError, ValueError):
            raise FormError("not a URL-encoded form") from None
    raise FormError(f"the content type {media or '(none)'} is not a form")
