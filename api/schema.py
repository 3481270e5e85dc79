"""OpenAPI generation: every operation documents the error answers it can give."""

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


VALIDATION_ERRORS = {
    "type": "object",
    "description": "`{field: [messages]}`; errors not tied to a field are under "
    "`non_field_errors`, nested lines under their index.",
    "additionalProperties": True,
}


class ApiAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        errors = {
            "400": VALIDATION_ERRORS,
            "401": ErrorSerializer,
            "403": ErrorSerializer,
            "404": ErrorSerializer,
        }
        if self.method not in ("GET", "HEAD", "OPTIONS"):
            errors["409"] = ErrorSerializer
        for code, body in errors.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    body, code, media_types=["application/json"], direction=direction
                )
        return responses
