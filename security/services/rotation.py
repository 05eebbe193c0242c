"""Re-encrypt stored values under the current primary key (step 3 of key rotation, docs/security.md).

Rows are selected in the database by their ciphertext header (``v1:<key id>:``), so a re-run only
touches rows still on an old key and a stopped run resumes where it left off. Each batch runs in its
own transaction with ``SELECT … FOR UPDATE SKIP LOCKED``: rows another transaction is editing are left
for the next run instead of blocking it. A row is re-encrypted through the normal field machinery —
read the plaintext through the descriptor, assign it back, ``save(update_fields=…)`` — and its blind
indexes must come out unchanged (they depend on the blind-index key only, never on the encryption key).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.db import models, router, transaction
from django.db.models.functions import Left

from security import crypto
from security.fields import BlindIndexField, EncryptedTextField


class RotationError(Exception):
    """A row could not be re-encrypted safely; the batch it was in has been rolled back."""


@dataclass(frozen=True)
class EncryptedModel:
    model: type[models.Model]
    fields: tuple[EncryptedTextField, ...]

    @property
    def label(self) -> str:
        return self.model._meta.label_lower


@dataclass
class ModelRotation:
    label: str
    reencrypted_rows: int = 0
    remaining_rows: int = 0  # still on an old key after this run (dry run, stopped early, or locked)


@dataclass
class RotationReport:
    primary_key_id: str
    dry_run: bool
    stopped_early: bool = False
    models: list[ModelRotation] = field(default_factory=list)

    @property
    def reencrypted_rows(self) -> int:
        return sum(m.reencrypted_rows for m in self.models)

    @property
    def remaining_rows(self) -> int:
        return sum(m.remaining_rows for m in self.models)


def encrypted_models() -> list[EncryptedModel]:
    """Every installed concrete model with at least one encrypted column of its own, by label."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        fields = tuple(f for f in model._meta.local_concrete_fields if isinstance(f, EncryptedTextField))
        if fields:
            found.append(EncryptedModel(model=model, fields=fields))
    return sorted(found, key=lambda m: m.label)


def _head_alias(field_: EncryptedTextField) -> str:
    return f"_rotation_head_{field_.attname}"


def rows_on_old_keys(*, target: EncryptedModel, primary_key_id: str) -> models.QuerySet:
    """Rows where any encrypted column is set and not under ``primary_key_id``.

    Filtering on the encrypted column itself is refused by the field, so the header is compared through
    a plain-text ``LEFT(column, n)`` annotation: it reads the public header only, never the payload.
    """
    prefix = f"{crypto.FORMAT_VERSION}:{primary_key_id}:"
    annotations = {_head_alias(f): Left(f.attname, len(prefix), output_field=models.TextField()) for f in target.fields}
    stale = models.Q()
    for f in target.fields:
        stale |= models.Q(**{f"{f.attname}__isnull": False}) & ~models.Q(**{_head_alias(f): prefix})
    # The base manager: a default manager that hides rows (soft delete…) must not hide them from rotation.
    return target.model._base_manager.annotate(**annotations).filter(stale)


def _is_stale(*, obj: models.Model, field_: EncryptedTextField, primary_key_id: str) -> bool:
    stored = obj.__dict__.get(field_.attname)
    if stored is None:
        return False
    try:
        return crypto.key_id_of(stored) != primary_key_id
    except crypto.DecryptionError as exc:
        raise RotationError(f"{obj._meta.label_lower} pk={obj.pk} field {field_.name}: {exc}") from exc


def _reencrypt_row(*, obj: models.Model, target: EncryptedModel, primary_key_id: str) -> None:
    stale_fields = [f for f in target.fields if _is_stale(obj=obj, field_=f, primary_key_id=primary_key_id)]
    if not stale_fields:
        return
    blind_indexes = [
        f
        for f in target.model._meta.local_concrete_fields
        if isinstance(f, BlindIndexField) and f.source in {s.name for s in stale_fields}
    ]
    update_fields = []
    for f in stale_fields:
        try:
            plaintext = getattr(obj, f.attname)
        except crypto.DecryptionError as exc:
            raise RotationError(
                f"{target.label} pk={obj.pk} field {f.name} cannot be decrypted ({exc}); "
                "put the old key back into FIELD_ENCRYPTION_KEYS (decrypt-only) and run again"
            ) from exc
        setattr(obj, f.attname, plaintext)
        update_fields.append(f.attname)
    for index in blind_indexes:
        source_plaintext = obj.__dict__.get(index.source_field().attname)
        if index.index_for(source_plaintext) != getattr(obj, index.attname):
            raise RotationError(
                f"{target.label} pk={obj.pk}: blind index {index.name} would change; "
                "BLIND_INDEX_KEY or a normaliser differs from when the row was written — not re-encrypting"
            )
        update_fields.append(index.attname)
    obj.save(update_fields=update_fields)


def reencrypt_fields(
    *,
    batch_size: int = 500,
    dry_run: bool = False,
    max_batches: int | None = None,
    targets: list[EncryptedModel] | None = None,
    on_batch: Callable[[str, int], None] | None = None,
) -> RotationReport:
    """Move every encrypted value still on an old key to the primary key, in primary-key order.

    ``max_batches`` stops after that many batches in total (the next call resumes); ``on_batch`` is
    called with the model label and the rows re-encrypted after each committed batch.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    primary_key_id = crypto.get_keyring().primary_key_id
    report = RotationReport(primary_key_id=primary_key_id, dry_run=dry_run)
    batches_done = 0
    for target in targets if targets is not None else encrypted_models():
        progress = ModelRotation(label=target.label)
        report.models.append(progress)
        if dry_run:
            progress.remaining_rows = rows_on_old_keys(target=target, primary_key_id=primary_key_id).count()
            continue
        last_pk = None
        database = router.db_for_write(target.model)
        while not report.stopped_early:
            if max_batches is not None and batches_done >= max_batches:
                report.stopped_early = True
                break
            with transaction.atomic(using=database):
                rows = rows_on_old_keys(target=target, primary_key_id=primary_key_id).using(database).order_by("pk")
                if last_pk is not None:
                    # Skipped (locked) rows stay behind us; a later run picks them up.
                    rows = rows.filter(pk__gt=last_pk)
                batch = list(rows.select_for_update(skip_locked=True)[:batch_size])
                if not batch:
                    break
                for obj in batch:
                    _reencrypt_row(obj=obj, target=target, primary_key_id=primary_key_id)
                last_pk = batch[-1].pk
            batches_done += 1
            progress.reencrypted_rows += len(batch)
            if on_batch is not None:
                on_batch(target.label, len(batch))
        progress.remaining_rows = rows_on_old_keys(target=target, primary_key_id=primary_key_id).count()
    return report
