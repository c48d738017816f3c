"""The structure the code promises: apps form layers and import only downward, and what
every app must contribute to key rotation and to GDPR export/erasure is registered."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models

from engage import crypto, personal_data

# Lowest first. An app may import from its own layer and the layers below it.
LAYERS: list[set[str]] = [
    {"engage"},
    {"contacts"},
    {"notifications"},
    {"automations"},
    {"integrations"},
    {"api", "portal", "ops"},
]
LAYER_OF = {app: level for level, names in enumerate(LAYERS) for app in names}
ROOT = Path(settings.BASE_DIR)


def is_ours(module) -> bool:
    """A module of the project's own apps (not of an installed package)."""
    return Path(module.__file__).parent.parent == ROOT


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) of every absolute import in the file, including those inside functions."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def upward_imports() -> list[str]:
    wrong = []
    for app, level in LAYER_OF.items():
        for path in sorted((ROOT / app).rglob("*.py")):
            for line, module in imported_modules(ast.parse(path.read_text(), filename=str(path))):
                target = module.split(".")[0]
                if LAYER_OF.get(target, -1) > level:
                    wrong.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return wrong


def test_every_project_app_has_a_layer():
    project_apps = {c.name for c in apps.get_app_configs() if is_ours(c.models_module or c.module)}
    assert project_apps == set(LAYER_OF)


def test_apps_import_only_from_their_own_layer_or_below():
    assert upward_imports() == []


def test_the_import_check_sees_an_import_inside_a_function():
    source = "def f():\n    from automations.models import Run\n"
    assert imported_modules(ast.parse(source)) == [(2, "automations.models")]


# --- Registries ---------------------------------------------------------------------------
def project_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models(include_auto_created=True) if is_ours(m._meta.app_config.module)]


def test_every_encrypted_column_is_rotated():
    registered = {(entry.model, name) for entry in crypto.encrypted_columns() for name in entry.fields}
    encrypted = {
        (model, field.name)
        for model in project_models()
        for field in model._meta.concrete_fields
        if isinstance(field, crypto.EncryptedTextField)
    }
    assert encrypted, "no encrypted column found: the check would pass on anything"
    assert encrypted - registered == set()


SECRET_NAMES = ("secret", "encrypted", "private_key", "credentials", "smtp_password", "api_key")


def test_columns_named_like_secrets_are_encrypted_or_hashed():
    plain = [
        f"{model.__name__}.{field.name}"
        for model in project_models()
        for field in model._meta.concrete_fields
        if any(word in field.name for word in SECRET_NAMES)
        and not field.name.startswith("hashed_")
        and not isinstance(field, crypto.EncryptedTextField)
        and isinstance(field, models.CharField | models.TextField)
    ]
    assert plain == []


PERSONAL_KINDS = (models.TextField, models.JSONField, models.EmailField, models.GenericIPAddressField)


def linked_to_contact(model: type[models.Model]) -> bool:
    """The model points at a contact, directly or through one model that does."""
    contact = apps.get_model("contacts", "Contact")
    if model is contact:
        return True
    for field in model._meta.concrete_fields:
        target = field.related_model if field.is_relation else None
        if target is contact:
            return True
        if target is not None and any(f.related_model is contact for f in target._meta.concrete_fields):
            return True
    return False


def test_every_personal_column_linked_to_a_contact_is_exported_and_erased():
    linked = [model for model in project_models() if linked_to_contact(model)]
    assert len(linked) > 5, "too few models linked to contacts found: the check would pass on anything"
    uncovered = [
        f"{model._meta.label}.{field.name}"
        for model in linked
        for field in model._meta.concrete_fields
        if isinstance(field, PERSONAL_KINDS) and field.name not in personal_data.covered_fields(model)
    ]
    assert uncovered == []


@pytest.mark.parametrize("entry", personal_data.entries(), ids=lambda entry: entry.section)
def test_registered_personal_columns_exist(entry):
    names = {field.name for field in entry.model._meta.get_fields()}
    assert set(entry.fields) | set(entry.kept or {}) <= names
