"""The API reference as one plain HTML page, rendered from the OpenAPI schema.

No JavaScript and no external asset (Swagger UI would load from a CDN): the page
works offline and behind any content security policy.
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView
from drf_spectacular.generators import SchemaGenerator

METHODS = ("get", "post", "put", "patch", "delete")


def _type_label(schema: dict) -> str:
    if not schema:
        return "any"
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "allOf" in schema:
        return " & ".join(_type_label(part) for part in schema["allOf"])
    if "oneOf" in schema or "anyOf" in schema:
        return " | ".join(_type_label(part) for part in schema.get("oneOf", schema.get("anyOf")))
    label = schema.get("type", "object")
    if label == "array":
        label = f"array of {_type_label(schema.get('items', {}))}"
    if schema.get("format"):
        label += f" ({schema['format']})"
    if schema.get("enum"):
        label += ": " + ", ".join(str(v) for v in schema["enum"] if v not in ("", None))
    if schema.get("nullable"):
        label += ", nullable"
    return label


def _body_label(content: dict) -> str:
    return "; ".join(
        f"{media}: {_type_label(body.get('schema', {}))}" for media, body in content.items()
    )


def _operations(schema: dict) -> list[dict]:
    sections: dict[str, list[dict]] = {}
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if not operation:
                continue
            request = operation.get("requestBody", {}).get("content", {})
            sections.setdefault((operation.get("tags") or ["other"])[0], []).append(
                {
                    "id": operation.get("operationId", f"{method}-{path}"),
                    "method": method.upper(),
                    "path": path,
                    "description": operation.get("description", ""),
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p.get("required", False),
                            "type": _type_label(p.get("schema", {})),
                            "description": p.get("description", ""),
                        }
                        for p in operation.get("parameters", [])
                    ],
                    "request": _body_label(request) if request else "",
                    "responses": [
                        {
                            "code": code,
                            "description": response.get("description", ""),
                            "body": _body_label(response.get("content", {})),
                        }
                        for code, response in operation.get("responses", {}).items()
                    ],
                }
            )
    return [{"tag": tag, "operations": ops} for tag, ops in sorted(sections.items())]


def _components(schema: dict) -> list[dict]:
    components = []
    for name, component in sorted(schema.get("components", {}).get("schemas", {}).items()):
        required = set(component.get("required", []))
        components.append(
            {
                "name": name,
                "description": component.get("description", ""),
                "enum": component.get("enum"),
                "fields": [
                    {
                        "name": field,
                        "type": _type_label(spec),
                        "required": field in required,
                        "read_only": spec.get("readOnly", False),
                        "write_only": spec.get("writeOnly", False),
                        "description": spec.get("description", ""),
                    }
                    for field, spec in component.get("properties", {}).items()
                ],
            }
        )
    return components


class ApiDocsView(LoginRequiredMixin, TemplateView):
    template_name = "api/docs.html"

    def get_context_data(self, **kwargs):
        schema = SchemaGenerator().get_schema(request=None, public=True)
        return {
            **super().get_context_data(**kwargs),
            "info": schema.get("info", {}),
            "sections": _operations(schema),
            "components": _components(schema),
        }
