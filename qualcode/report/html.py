"""HTML rendering with jinja2 templates shipped in `qualcode/templates/`, autoescaped always:
transcript text is untrusted and must never become markup."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _environment():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("qualcode", "templates"),
        autoescape=True,  # every template, whatever its extension
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_template(name: str, **context: object) -> str:
    """Render `qualcode/templates/<name>` with autoescaping."""
    return _environment().get_template(name).render(**context)
