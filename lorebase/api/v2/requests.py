"""Request bodies of the v2 routes, named as the official schemas name them.

Enums arrive as integers (the schema) or as names (the newer doc pages, v3-style clients);
both are accepted. Unknown properties are ignored, as Document360's ASP.NET backend does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from lorebase.kb.errors import Invalid


def _enum(names: dict[str, int], label: str) -> Callable[[Any], Any]:
    allowed = sorted(set(names.values()))

    def parse(value: Any) -> Any:
        if value is None:
            return value
        # bool is an int subclass; pydantic's lax int would turn `true` into 1 (Folder → Page).
        if isinstance(value, int) and not isinstance(value, bool):
            if value in allowed:
                return value
        elif isinstance(value, str):
            key = value.strip().replace(" ", "").replace("_", "").lower()
            if key in names:
                return names[key]
            if key.lstrip("-").isdigit() and int(key) in allowed:
                return int(key)
        choices = ", ".join(f"{v} ({n})" for n, v in sorted(names.items(), key=lambda i: i[1]))
        raise ValueError(f"{value!r} is not a valid {label}; use one of {choices}")

    return parse


CategoryType = Annotated[
    int | None,
    BeforeValidator(_enum({"folder": 0, "page": 1, "index": 2}, "category type")),
]
ContentType = Annotated[
    int | None,
    BeforeValidator(
        _enum(
            {"markdown": 0, "wysiwyg": 1, "html": 1, "block": 2, "advancedwysiwyg": 2},
            "content type",
        )
    ),
]
ArticleType = Annotated[
    int | None, BeforeValidator(_enum({"0": 0, "1": 1, "2": 2}, "article type"))
]
StatusIndicator = Annotated[
    int | None,
    BeforeValidator(_enum({"none": 0, "new": 1, "updated": 2, "custom": 3}, "status indicator")),
]


def _translation_option(value: Any) -> int | None:
    """The update schemas type translation_option as a string ("0", "1", "2", "" or null)."""
    if value is None or value == "":
        return None
    parse = _enum(
        {"none": 0, "needtranslation": 1, "translated": 2, "inprogress": 3}, "translation option"
    )
    result: int = parse(value)
    return result


TranslationOption = Annotated[int | None, BeforeValidator(_translation_option)]
VersionNumber = Annotated[int, Field(ge=1, le=32767)]
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def _int32(field: str) -> Callable[[Any], Any]:
    """Every integer of the v2 request schemas is a .NET int32; ASP.NET refuses the rest."""

    def check(value: Any) -> Any:
        number = value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            number = int(value)
        if (
            isinstance(number, int | float)
            and not isinstance(number, bool)
            and not INT32_MIN <= number <= INT32_MAX
        ):
            # Error type "aspnet_message": errors.describe_validation shows it verbatim.
            raise PydanticCustomError(
                "aspnet_message", f"The field {field} must be between {INT32_MIN} and {INT32_MAX}."
            )
        return value

    return check


Order = Annotated[int | None, BeforeValidator(_int32("Order"))]
AnyVersionNumber = Annotated[int | None, BeforeValidator(_int32("VersionNumber"))]


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    def given(self) -> dict[str, Any]:
        """Only the fields the client actually sent (to tell "absent" from null)."""
        return self.model_dump(include=self.model_fields_set)


class AddCategory(Body):
    name: str | None = None
    project_version_id: str | None = None
    order: Order = None
    parent_category_id: str | None = None
    content: str | None = None
    category_type: CategoryType = 0
    user_id: str | None = None
    content_type: ContentType = None


class UpdateCategory(Body):
    name: str | None = None
    order: Order = None
    parent_category_id: str | None = None
    hidden: bool | None = None
    icon: str | None = None
    language: str | None = None


class UpdateCategoryContent(Body):
    title: str | None = None
    content: str | None = None
    html_content: str | None = None
    block_content: str | None = None
    version_number: AnyVersionNumber = None
    translation_option: TranslationOption = None
    source: str | None = None
    updated_by: str | None = None


class BulkUpdateCategoryContent(UpdateCategoryContent):
    category_id: str | None = None
    lang_code: str | None = None


class Fork(Body):
    version_number: AnyVersionNumber = None
    user_id: str | None = None
    lang_code: str | None = None


class Publish(Body):
    user_id: str | None = None
    version_number: int | None = None
    publish_message: str | None = None


class BulkPublishCategory(Publish):
    category_id: str | None = None


class BulkPublishArticle(Publish):
    article_id: str | None = None


class UpdateSettings(Body):
    slug: str | None = None
    seo_title: str | None = None
    description: str | None = None
    allow_comments: bool | None = None
    show_table_of_contents: bool | None = None
    tags: list[str] | None = None
    status_indicator: StatusIndicator = None
    status_indicator_expiry_date: datetime | None = None
    exclude_from_search: bool | None = None
    exclude_from_ai_search: bool | None = None
    related_articles: list[str] | None = None
    content_type: ContentType = None
    is_acknowledgement_enabled: bool | None = None


class CreateArticle(Body):
    title: str | None = None
    content: str | None = None
    category_id: str | None = None
    project_version_id: str | None = None
    order: Order = None
    user_id: str | None = None
    content_type: ContentType = None
    article_type: ArticleType = None


class UpdateArticle(Body):
    title: str | None = None
    content: str | None = None
    html_content: str | None = None
    category_id: str | None = None
    hidden: bool | None = None
    version_number: AnyVersionNumber = None
    translation_option: TranslationOption = None
    source: str | None = None
    order: Order = None


class BulkUpdateArticle(UpdateArticle):
    article_id: str | None = None
    lang_code: str | None = None


class MergeCodeFields(Body):
    """Lorebase extension: a variable, snippet or glossary term."""

    project_version_id: str | None = None
    name: str | None = None
    language_code: str | None = None
    value: str | None = Field(default=None, description="Variable value (plain text).")
    content: str | None = Field(default=None, description="Snippet body.")
    is_html: bool | None = Field(default=None, description="Snippet body is HTML, not Markdown.")
    term: str | None = Field(default=None, description="Glossary term as displayed.")
    definition: str | None = Field(default=None, description="Glossary definition.")


def required_version(value: int | None) -> int:
    if value is None or not 1 <= value <= 32767:
        raise Invalid("The field VersionNumber must be between 1 and 32767.")
    return value


def required_user(value: str | None) -> str:
    if not value:
        raise Invalid("The UserId field is required.")
    return value
