"""Model fields for application-level encryption and blind indexes.

``EncryptedTextField`` keeps ciphertext in the database column and decrypts lazily on attribute
access, using the row's stable public id as part of the associated data; that id is assigned when the
instance is created, so values can be bound before the first insert. Values are encrypted with a fresh
nonce on every write. Every lookup except ``isnull`` is refused: exact matches go through the
companion ``BlindIndexField``; nothing else can be searched on an encrypted column.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from django.core.exceptions import FieldDoesNotExist, FieldError
from django.db import models
from django.db.models.query_utils import DeferredAttribute

from core.errors import UnanswerableQuery

from . import crypto
from .normalize import NORMALIZERS

_M = TypeVar("_M", bound=models.Model)


class EncryptedLookupError(UnanswerableQuery, FieldError):
    """A query tried to filter, order or search on an encrypted column."""

    public_message = "This field cannot be searched or ordered."


class Ciphertext(str):
    """Marks a value that came from the database (or from our own encryption) as ciphertext."""


STORED_FORMAT = re.compile(r"^v1:[A-Za-z0-9_-]{1,16}:[A-Za-z0-9_=-]{38,}$")


class EncryptedDescriptor(DeferredAttribute):
    """Holds ciphertext or plaintext in the instance dict; returns plaintext, decrypting on demand."""

    def __get__(self, instance, cls=None):
        if instance is None:
            return self
        state = super().__get__(instance, cls)
        if not isinstance(state, Ciphertext):
            return state
        cache_key = self.field.plaintext_cache_key
        cached = instance.__dict__.get(cache_key)
        if cached is not None and cached[0] is state:
            return cached[1]
        plaintext = crypto.decrypt(stored=state, binding=self.field.binding_for(instance))
        instance.__dict__[cache_key] = (state, plaintext)
        return plaintext

    def __set__(self, instance, value) -> None:
        if value == "":
            value = None
        instance.__dict__[self.field.attname] = value


class EncryptedTextField(models.TextField):
    descriptor_class = EncryptedDescriptor

    def __init__(self, *args, normalizer: str = "text", binding_field: str = "public_id", **kwargs):
        self.normalizer = normalizer
        self.binding_field = binding_field
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["normalizer"] = self.normalizer
        if self.binding_field != "public_id":
            kwargs["binding_field"] = self.binding_field
        return name, path, args, kwargs

    @property
    def plaintext_cache_key(self) -> str:
        return f"_{self.attname}_plaintext"

    def binding_for(self, instance: models.Model) -> str:
        row_id = getattr(instance, self.binding_field)
        if not row_id:
            raise crypto.DecryptionError(f"{instance._meta.label} has no {self.binding_field} to bind to")
        return f"{instance._meta.label_lower}.{self.name}:{row_id}"

    def normalize(self, value: str) -> str:
        return NORMALIZERS[self.normalizer](value)

    def is_dirty(self, instance: models.Model) -> bool:
        """True when the attribute holds plaintext set by code (not what was read from the database)."""
        return not isinstance(instance.__dict__.get(self.attname), Ciphertext)

    def from_db_value(self, value, expression, connection):
        return None if value is None else Ciphertext(value)

    def to_python(self, value):
        # Only deserialisation (loaddata) reaches this: dumps carry ciphertext (see value_to_string).
        if isinstance(value, str) and not isinstance(value, Ciphertext) and STORED_FORMAT.match(value):
            return Ciphertext(value)
        return value

    def clean(self, value, model_instance):
        # Model validation sees plaintext; never pass it through to_python (it must stay plaintext).
        self.validate(value, model_instance)
        self.run_validators(value)
        return value

    def pre_save(self, model_instance, add):
        state = model_instance.__dict__.get(self.attname)
        if state is None or isinstance(state, Ciphertext):
            return state
        return Ciphertext(crypto.encrypt(plaintext=str(state), binding=self.binding_for(model_instance)))

    def get_db_prep_save(self, value, connection):
        if value is None or isinstance(value, Ciphertext):
            return None if value is None else str(value)
        raise EncryptedLookupError(
            f"refusing to write plaintext to encrypted column {self.model._meta.label}.{self.name}; "
            "assign on the instance and save() it (QuerySet.update/bulk_update cannot encrypt)"
        )

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        raise EncryptedLookupError(
            f"{self.model._meta.label}.{self.name} is encrypted: '{lookup_name}' lookups are not allowed; "
            "find exact values through its blind index"
        )

    def get_transform(self, lookup_name):
        raise EncryptedLookupError(f"{self.model._meta.label}.{self.name} is encrypted: no transforms")

    def value_to_string(self, obj):
        # Serialisers (dumpdata) get ciphertext, never plaintext.
        return self.pre_save(obj, add=False)


class BlindIndexField(models.CharField):
    """Keyed HMAC of the normalised plaintext of ``source``, recomputed whenever the source changes."""

    def __init__(self, *args, source: str, **kwargs):
        self.source = source
        kwargs["max_length"] = crypto.BLIND_INDEX_HEX_CHARS
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs.pop("max_length", None)
        return name, path, args, kwargs

    def source_field(self) -> EncryptedTextField:
        field = self.model._meta.get_field(self.source)
        assert isinstance(field, EncryptedTextField), f"{self.source} is not an encrypted field"
        return field

    def purpose(self) -> str:
        return f"{self.model._meta.label_lower}.{self.source}"

    def index_for(self, plaintext: str | None) -> str | None:
        if plaintext is None:
            return None
        return crypto.blind_index(purpose=self.purpose(), normalized_value=self.source_field().normalize(plaintext))

    def pre_save(self, model_instance, add):
        source = self.source_field()
        if source.is_dirty(model_instance):
            setattr(model_instance, self.attname, self.index_for(model_instance.__dict__.get(source.attname)))
        return getattr(model_instance, self.attname)


class BlindIndexSaveMixin:
    """Models with blind indexes: ``save(update_fields=[…])`` naming an encrypted field also saves
    its blind index, which would otherwise go stale and make the row unfindable."""

    def save(self, *args, update_fields=None, **kwargs):
        if update_fields is not None:
            update_fields = set(update_fields) | {
                field.attname
                for field in self._meta.concrete_fields
                if isinstance(field, BlindIndexField) and field.source in update_fields
            }
        super().save(*args, update_fields=update_fields, **kwargs)


def _encrypted_field_in_path(model: type[models.Model], path: str) -> EncryptedTextField | None:
    """The encrypted field an ORM path like ``customer__phone`` ends on, if any."""
    for part in path.split("__"):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:  # an annotation, "?" or "pk": not ours to judge
            return None
        if isinstance(field, EncryptedTextField):
            return field
        if not field.is_relation or field.related_model is None:
            return None
        model = field.related_model
    return None


class EncryptedQuerySet(models.QuerySet[_M, _M]):
    """QuerySet for models with encrypted fields: exact matching through blind indexes only."""

    def order_by(self, *field_names):
        for name in field_names:
            if isinstance(name, str) and (field := _encrypted_field_in_path(self.model, name.lstrip("-"))):
                raise EncryptedLookupError(
                    f"{field.model._meta.label}.{field.name} is encrypted: ordering by it would sort ciphertext"
                )
        return super().order_by(*field_names)

    def _blind_index_field(self, field_name: str) -> BlindIndexField:
        for field in self.model._meta.concrete_fields:
            if isinstance(field, BlindIndexField) and field.source == field_name:
                return field
        raise EncryptedLookupError(f"{self.model._meta.label}.{field_name} has no blind index; it cannot be searched")

    def matching(self, field_name: str, value: Any) -> models.QuerySet:
        """Rows whose ``field_name`` equals ``value`` after normalisation, confirmed by decryption."""
        index_field = self._blind_index_field(field_name)
        normalized = index_field.source_field().normalize(str(value))
        candidates = self.filter(**{index_field.attname: index_field.index_for(str(value))})
        confirmed = [
            obj.pk
            for obj in candidates
            if (plain := getattr(obj, field_name)) is not None
            and index_field.source_field().normalize(plain) == normalized
        ]
        return self.filter(pk__in=confirmed)
