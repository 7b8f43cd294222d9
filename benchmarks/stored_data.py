"""How /status and the duplicate-face search behave as stored verifications grow.

    python benchmarks/stored_data.py [--sizes 10000 100000] [--databases sqlite postgresql]
                                     [--seconds 10] [--concurrency 16] [--searches 50] [--jobs 30]

For every database and size: a fresh database (SQLite in a temporary OPENIDV_HOME, or a
PostgreSQL database `openidv_bench_…` that the script creates and drops; `test` is never
touched) gets its schema from the project's own migrations (`openidv migrate`) and its
partners from `openidv partner create`: the measured partner and four others. Then
`--size` verifications are bulk-inserted with SQLAlchemy core, shaped as the service writes
them: about 80 % for the measured partner (`--own-share`), repeat attempts by the same
clientId, a year of history, mostly finished (APPROVED / DENIED / SUSPECTED / REVIEWING)
with document data, decision reasons, files rows (image bytes are not written: /status never
reads them), a delivered webhook with its attempt, and the selfie and document face
descriptors the worker stores; some EXPIRED, DELETED (data erased) and fresh ACTIVE tokens.
PostgreSQL then gets `VACUUM ANALYZE` (what autovacuum does to a table that grew slowly).

Then a real `openidv serve` (API process only: embedded mode on SQLite, scale-out with Redis
on PostgreSQL) is started on that database and `/api/v2/status` is driven with
`--concurrency` keep-alive httpx connections for `--seconds`, each request for a random
existing scanRef of the measured partner (after a one-second warm-up).

Last, the duplicate-face search is timed in this process the way the worker's cross-checks
call it (`FaceIndex.search` with the match threshold, excluding the clientId): the first
search (loads the partner's index), `--searches` searches for new random descriptors, and
`--jobs` times "a job finished, then the next job searches": a verification and its two
descriptors are inserted, then the selfie and document searches run (the first one picks up
the new rows). Prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import hashlib
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.support.load_client import machine_line, ms, rps, timed, wait_until_quiet  # noqa: E402
from openidv.core.wire import webhook_view  # noqa: E402
from openidv.config import Settings  # noqa: E402
from openidv.store.db import make_engine  # noqa: E402
from openidv.store.fraud import FaceIndex, document_number_key  # noqa: E402
from openidv.store.models import (  # noqa: E402
    FaceEmbedding,
    Partner,
    StoredFile,
    Verification,
    WebhookAttempt,
    WebhookDelivery,
    utcnow,
)
from tests.support import service as service_support  # noqa: E402
from tests.support.service import OPENIDV, POSTGRES_ADMIN_URL, base_env, start_service  # noqa: E402

# Where CREATE / DROP DATABASE are issued: the maintenance database of the same server.
POSTGRES_MAINTENANCE_URL = os.environ.get(
    "OPENIDV_BENCH_POSTGRES", POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/postgres")
OTHER_PARTNERS = 4
CALLBACK_URL = "https://partner.example/idv-hook"
# Terminal states and their shares among non-ACTIVE rows.
STATUS_WEIGHTS = {"APPROVED": 0.72, "DENIED": 0.09, "SUSPECTED": 0.05, "REVIEWING": 0.03,
                  "EXPIRED": 0.10, "DELETED": 0.01}
FRESH_SHARE = 0.005  # newest rows: tokens created but not used yet (ACTIVE)
REPEAT_SHARE = 0.15  # verifications that are another attempt by an earlier clientId
SHARED_FACE_SHARE = 0.003  # new clientIds with the face of an earlier one (what the search is for)
GIVEN = ["JONAS", "EGLE", "MARIA", "ANNA", "PETER", "LUKAS", "SOFIA", "IVAN", "EMMA", "NOAH"]
SURNAMES = ["PETRAUSKAS", "KAZLAUSKIENE", "MUSTERMANN", "SMITH", "NOWAK", "GARCIA", "ROSSI", "NIELSEN"]
COUNTRIES = ["LT", "LV", "EE", "PL", "DE", "FR", "ES", "IT"]
NATIONALITIES = {"LT": "LTU", "LV": "LVA", "EE": "EST", "PL": "POL", "DE": "DEU", "FR": "FRA", "ES": "ESP",
                 "IT": "ITA"}


# ---------------------------------------------------------------- databases


def create_postgres_database() -> str:
    return service_support.create_postgres_database("openidv_bench_", POSTGRES_MAINTENANCE_URL)


def drop_postgres_database(url: str) -> None:
    assert url.rsplit("/", 1)[1].startswith("openidv_bench_"), url  # never anything else
    service_support.drop_postgres_database(url, POSTGRES_MAINTENANCE_URL)


def cli(env: dict[str, str], *args: str) -> str:
    return subprocess.run([*OPENIDV, *args], env=env, capture_output=True, text=True, check=True,
                          timeout=300).stdout


# ---------------------------------------------------------------- seeding


@dataclass
class Person:
    vector: np.ndarray
    given: str
    surname: str
    birth: str
    country: str
    document_number: str


@dataclass
class PartnerRows:
    id: int
    clients: list[str] = field(default_factory=list)
    attempts: dict[str, int] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    scan_refs: list[str] = field(default_factory=list)


class Seeder:
    """Rows the way the service writes them (see openidv.store.verifications, jobs.processing)."""

    def __init__(self, engine: Engine, partners: list[PartnerRows], size: int, own_share: float) -> None:
        self.engine = engine
        self.partners = partners
        self.size = size
        self.own_share = own_share
        self.rng = np.random.default_rng(9)
        self.random = random.Random(9)
        self.now = utcnow()
        self.first = self.now - dt.timedelta(days=365)
        from openidv.api.schemas import TokenRequest
        from openidv.services.intake import token_defaults
        from openidv.services.partners import PartnerContext

        context = PartnerContext(0, "bench", CALLBACK_URL, "automatic", None, True, None, None, None, None, None, None)
        # The token request as /token echoes and stores it, defaults filled in.
        self.token_template = token_defaults(TokenRequest(clientId="x").model_dump(), context)

    def person(self) -> Person:
        r = self.random
        country = r.choice(COUNTRIES)
        return Person(
            vector=self.rng.normal(0, 0.09, 128).astype(np.float32),
            given=r.choice(GIVEN), surname=r.choice(SURNAMES),
            birth=f"{r.randint(1950, 2005)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
            country=country, document_number=f"{r.choice('ABCDEFGHKLMN')}{r.randint(0, 10**7 - 1):07d}",
        )

    def client_for(self, partner: PartnerRows) -> str:
        r = self.random
        if partner.clients and r.random() < REPEAT_SHARE:
            client = r.choice(partner.clients)
        else:
            client = f"user-{uuid.uuid4().hex[:16]}"
            partner.clients.append(client)
            if partner.people and r.random() < SHARED_FACE_SHARE:
                partner.people[client] = partner.people[r.choice(partner.clients[:-1])]
            else:
                partner.people[client] = self.person()
        partner.attempts[client] = partner.attempts.get(client, 0) + 1
        return client

    def document_data(self, p: Person, document_type: str) -> dict[str, Any]:
        nat = NATIONALITIES[p.country]
        code = "P" if document_type == "PASSPORT" else "ID"
        mrz = (f"{code}<{nat}{p.surname}<<{p.given}".ljust(44, "<")
               + f"\n{p.document_number}<0{nat}{p.birth[2:4]}{p.birth[5:7]}{p.birth[8:10]}0M3001015".ljust(44, "<"))
        data = dict(
            mrz_name=p.given, mrz_surname=p.surname, mrz_date_of_birth=p.birth, mrz_expiry_date="2030-01-01",
            mrz_personal_code=None, mrz_document_number=p.document_number, mrz_sex="MALE", mrz_nationality=nat,
            mrz_country=nat, mrz_document_type=document_type, mrz_document_subtype=None, mrz_optional_data=None,
            mrz_string=mrz, mrz_date_of_issue=None,
            doc_name=p.given, doc_surname=p.surname, doc_document_number=p.document_number,
            doc_date_of_birth=p.birth, doc_expiry_date="2030-01-01", doc_date_of_issue="2020-01-01",
            doc_personal_code=None, doc_sex="MALE", doc_nationality=nat, doc_country=nat,
        )
        data["doc_document_type"] = document_type
        return data

    @staticmethod
    def reasons(status: str, similarity: float) -> list[dict[str, Any]]:
        out = [
            {"check": "document", "outcome": "DOC_VALIDATED", "detail": "MRZ check digits valid, read twice",
             "scores": {"mrz_confidence": 0.97, "sharpness": 212.4}},
            {"check": "visual_zone", "outcome": "MATCH", "detail": "printed data agrees with the MRZ",
             "scores": {"fields_agreeing": 6.0}},
            {"check": "face", "outcome": "FACE_MATCH" if status != "DENIED" else "FACE_MISMATCH",
             "detail": "selfie against document portrait", "scores": {"similarity": similarity}},
            {"check": "liveness", "outcome": "LIVE", "detail": "passive liveness", "scores": {"score": 0.93}},
        ]
        if status == "SUSPECTED":
            out.append({"check": "duplicates", "outcome": "DUPLICATE_FACE",
                        "detail": "selfie face matches another clientId's selfie face",
                        "scores": {"distance": 0.31, "matches": 1.0}})
        return out

    def row(self, index: int) -> tuple[dict[str, Any], PartnerRows, Optional[Person]]:
        r = self.random
        partner = self.partners[0] if r.random() < self.own_share else r.choice(self.partners[1:])
        client = self.client_for(partner)
        person = partner.people[client]
        created = self.first + dt.timedelta(days=365 * index / self.size, seconds=r.uniform(0, 60))
        fresh = index >= self.size * (1 - FRESH_SHARE)
        if fresh:
            status, created = "ACTIVE", self.now - dt.timedelta(minutes=r.uniform(0, 30))
        else:
            status = r.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
        token_request = dict(self.token_template, clientId=client, firstName=person.given.title(),
                             lastName=person.surname.title(), dateOfBirth=person.birth)
        document_type = r.choice(["PASSPORT", "ID_CARD"])
        similarity = round(r.uniform(0.75, 0.98) if status != "DENIED" else r.uniform(0.1, 0.4), 4)
        used = status not in ("ACTIVE", "EXPIRED")
        start = created + dt.timedelta(seconds=r.uniform(20, 600))
        finish = start + dt.timedelta(seconds=r.uniform(1.2, 2.5))
        row = dict(
            scan_ref=str(uuid.uuid4()), partner_id=partner.id, client_id=client, external_ref=None,
            auth_token_hash=hashlib.sha256(secrets.token_bytes(24)).hexdigest(), digit_string=None,
            token_type="IDENTIFICATION", token_used=used,
            token_expires_at=created + dt.timedelta(seconds=3600), token_request=token_request,
            status=status, platform="API" if used else None, country=person.country if used else None,
            document_type=document_type if used else None, attempt_count=partner.attempts[client],
            start_time=start if used else None,
            finish_time=finish if used else (created + dt.timedelta(seconds=3600) if status == "EXPIRED" else None),
            review_time=None, processing_since=start if used else None, processing_runs=1 if used else 0,
            auto_document=None, auto_face=None, manual_document=None, manual_face=None,
            fraud_tags=[], mismatch_tags=[], suspicion_reasons=[], face_similarity=None,
            document_data={}, manual_data={}, decision_reasons=[], additional_steps=None,
            document_number_key=None, flow_started_at=None, review_note=None, reviewer_id=None,
            version=0 if status == "ACTIVE" else 2, created_at=created, deleted_at=None,
        )
        if used and status != "DELETED":
            row.update(
                auto_document="DOC_VALIDATED", auto_face="FACE_MATCH" if status != "DENIED" else "FACE_MISMATCH",
                face_similarity=similarity, document_data=self.document_data(person, document_type),
                decision_reasons=self.reasons(status, similarity),
                document_number_key=document_number_key(person.document_number),
            )
            if status == "SUSPECTED":
                row["fraud_tags"] = ["DUPLICATE_FACE"]
        if status == "DELETED":
            row.update(token_request={"clientId": client}, deleted_at=finish + dt.timedelta(days=30),
                       auto_document="DOC_VALIDATED", auto_face="FACE_MATCH", version=3)
        if partner is self.partners[0]:
            partner.scan_refs.append(row["scan_ref"])
        return row, partner, person if used else None

    def seed(self, batch: int = 2000) -> None:
        v_table, f_table = Verification.__table__, StoredFile.__table__
        e_table, d_table, a_table = FaceEmbedding.__table__, WebhookDelivery.__table__, WebhookAttempt.__table__
        for start in range(0, self.size, batch):
            rows = [self.row(i) for i in range(start, min(start + batch, self.size))]
            with self.engine.begin() as conn:
                ids = conn.execute(insert(v_table).returning(v_table.c.id, sort_by_parameter_order=True),
                                   [r for r, _, _ in rows]).scalars().all()
                files, faces, hooks = [], [], []
                for vid, (row, partner, person) in zip(ids, rows):
                    if person is None:
                        if row["status"] == "EXPIRED":
                            hooks.append(self.hook(vid, row, "expired"))
                        continue
                    deleted = row["status"] == "DELETED"
                    steps = ["FRONT", "BACK", "FACE"] if row["document_type"] == "ID_CARD" else ["FRONT", "FACE"]
                    files += [dict(verification_id=vid, step=step, content_type="image/jpeg",
                                   size=self.random.randint(400_000, 6_000_000), storage_key=secrets.token_hex(20),
                                   created_at=row["start_time"], deleted_at=row["deleted_at"]) for step in steps]
                    hooks.append(self.hook(vid, row, "automatic"))
                    if not deleted:
                        for kind, noise in (("selfie", 0.02), ("document", 0.03)):
                            vector = person.vector + self.rng.normal(0, noise, 128).astype(np.float32)
                            faces.append(dict(partner_id=partner.id, verification_id=vid, client_id=row["client_id"],
                                              kind=kind, vector=vector.astype("<f4").tobytes()))
                conn.execute(insert(f_table), files)
                if faces:
                    conn.execute(insert(e_table), faces)
                hook_ids = conn.execute(insert(d_table).returning(d_table.c.id, sort_by_parameter_order=True),
                                        hooks).scalars().all()
                conn.execute(insert(a_table), [
                    dict(delivery_id=hid, attempted_at=h["delivered_at"], status_code=200, error=None,
                         duration_ms=self.random.randint(40, 400)) for hid, h in zip(hook_ids, hooks)])

    def hook(self, vid: int, row: dict[str, Any], event: str) -> dict[str, Any]:
        at = row["finish_time"]
        payload = webhook_view(Verification(**row), final=True, file_urls={})
        return dict(verification_id=vid, event=event, url=CALLBACK_URL, final=True, payload=payload,
                    state="delivered", attempts=1, next_attempt_at=at, claimed_until=None, created_at=at,
                    delivered_at=at + dt.timedelta(milliseconds=200))


# ---------------------------------------------------------------- measurements


@dataclass
class Result:
    size: int
    database: str
    seed_s: float
    descriptors: int
    status_rate: float
    status_lat: list[float]
    status_errors: int
    first_search: float
    searches: list[float]
    after_job: list[float]


def measure_status(service, partner, scan_refs: list[str], seconds: float, concurrency: int):  # noqa: ANN001, ANN201
    pick = random.Random(3).choice

    def body() -> dict[str, str]:
        return {"scanRef": pick(scan_refs)}

    asyncio.run(rps(service.base_url, "/api/v2/status", partner, body, 1.0, concurrency))  # warm-up
    return asyncio.run(rps(service.base_url, "/api/v2/status", partner, body, seconds, concurrency))


def measure_search(engine: Engine, partner_id: int, searches: int, jobs: int) -> tuple[float, list[float], list[float]]:
    """FaceIndex.search as openidv.services.processing._cross_checks calls it: in a session that
    is already open, for a new descriptor, excluding the job's own clientId."""
    from openidv.pipeline.face import DLIB_SAME_PERSON_MAX_DISTANCE

    sessions = sessionmaker(bind=engine)
    rng = np.random.default_rng(5)
    index = FaceIndex()
    opened = []

    def open_session():  # noqa: ANN202
        while opened:
            opened.pop().close()
        session = sessions()
        session.connection()
        opened.append(session)
        return session

    def search(session) -> None:  # noqa: ANN001
        index.search(session, partner_id, rng.normal(0, 0.09, 128).astype(np.float32),
                     max_distance=DLIB_SAME_PERSON_MAX_DISTANCE, exclude_client="new-client")

    columns = None

    def finish_a_job():  # noqa: ANN202
        """What a finished job leaves behind: its verification and its two descriptors."""
        nonlocal columns
        with sessions.begin() as s:
            if columns is None:
                template = s.scalar(select(Verification).where(Verification.partner_id == partner_id,
                                                               Verification.status == "APPROVED").limit(1))
                columns = {c.key: getattr(template, c.key) for c in Verification.__table__.columns if c.key != "id"}
            v = Verification(**dict(columns, scan_ref=str(uuid.uuid4()), client_id=f"job-{uuid.uuid4().hex[:8]}",
                                    auth_token_hash=hashlib.sha256(os.urandom(16)).hexdigest()))
            s.add(v)
            s.flush()
            for kind in ("selfie", "document"):
                s.add(FaceEmbedding(partner_id=partner_id, verification_id=v.id, client_id=v.client_id, kind=kind,
                                    vector=rng.normal(0, 0.09, 128).astype("<f4").tobytes()))
        return open_session()

    def fresh_index():  # noqa: ANN202
        nonlocal index
        index = FaceIndex()
        return open_session()

    first = timed(search, fresh_index)  # a fresh index loads every descriptor of the partner
    steady = [timed(search, open_session) for _ in range(searches)]
    # The next job's selfie search, after the previous job stored its faces: picks up the new rows.
    after_job = [timed(search, finish_a_job) for _ in range(jobs)]
    open_session().close()
    return first, steady, after_job


def run_one(kind: str, size: int, args: argparse.Namespace) -> Result:
    home = Path(tempfile.mkdtemp(prefix="openidv-stored-bench-"))
    env = base_env(home)
    env["OPENIDV_RATE_LIMIT_PER_HOUR"] = "1000000000"
    url = None
    if kind == "postgresql":
        url = create_postgres_database()
        env["OPENIDV_DATABASE_URL"] = url
        env["OPENIDV_ENCRYPTION_KEY"] = base64.b64encode(os.urandom(32)).decode()
    service = None
    engine = None
    try:
        cli(env, "migrate")
        created = [json.loads(cli(env, "partner", "create", name, "--callback-url", CALLBACK_URL))
                   for name in ["bench"] + [f"other-{i}" for i in range(OTHER_PARTNERS)]]
        settings = Settings(home=home, database_url=url, encryption_key=env.get("OPENIDV_ENCRYPTION_KEY"))
        engine = make_engine(settings)
        with engine.connect() as conn:
            ids = {key: pid for pid, key in conn.execute(select(Partner.id, Partner.api_key))}
        partners = [PartnerRows(ids[p["apiKey"]]) for p in created]
        t0 = time.perf_counter()
        Seeder(engine, partners, size, args.own_share).seed()
        if kind == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        seed_s = time.perf_counter() - t0
        with engine.connect() as conn:
            descriptors = conn.scalar(select(func.count()).select_from(FaceEmbedding.__table__)
                                      .where(FaceEmbedding.partner_id == partners[0].id))
        engine.dispose()

        mode = "scaleout" if kind == "postgresql" else "embedded"
        service = start_service(mode, home, {k: v for k, v in env.items() if k.startswith("OPENIDV_")},
                                worker=False, database_url=url)
        wait_until_quiet(service.processes[0].pid)
        auth = (created[0]["apiKey"], created[0]["apiSecret"])
        rate, lat, errors = measure_status(service, auth, partners[0].scan_refs, args.seconds, args.concurrency)
        service.stop()
        if mode == "scaleout":
            clear_rate_counters(service.env)
        service = None

        first, steady, after_job = measure_search(engine, partners[0].id, args.searches, args.jobs)
        return Result(size, "PostgreSQL" if url else "SQLite", seed_s, descriptors, rate, lat, errors, first,
                      steady, after_job)
    finally:
        if service is not None:
            service.stop()
        if engine is not None:
            engine.dispose()
        if args.keep:
            print(f"kept: OPENIDV_HOME={home}" + (f" OPENIDV_DATABASE_URL={url}" if url else ""), file=sys.stderr)
        else:
            if url:
                drop_postgres_database(url)
            shutil.rmtree(home, ignore_errors=True)  # the SQLite database: up to 0.6 GB


def clear_rate_counters(env: dict[str, str]) -> None:
    import redis

    client = redis.Redis.from_url(env["OPENIDV_QUEUE_URL"])
    for key in client.scan_iter(f"{env['OPENIDV_QUEUE_NAME']}:*"):
        client.delete(key)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--databases", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--searches", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=30)
    parser.add_argument("--own-share", type=float, default=0.8, help="share of rows of the measured partner")
    parser.add_argument("--keep", action="store_true", help="keep the databases (prints where)")
    args = parser.parse_args()
    print(machine_line())
    results = []
    for kind in args.databases:
        for size in args.sizes:
            result = run_one(kind, size, args)
            results.append(result)
            print(f"... {result.database} {size:,}: seeded in {result.seed_s:.0f} s, "
                  f"{len(result.status_lat)} /status requests", file=sys.stderr, flush=True)
    print()
    print(f"/status: {args.concurrency} connections, {args.seconds:g} s, random scanRefs of the measured partner "
          f"({args.own_share:.0%} of the rows). Duplicate search: FaceIndex.search over that partner's "
          f"descriptors; {args.searches} searches, then {args.jobs} jobs (ms).")
    print()
    print("| stored verifications | database | partner's face descriptors | /status p50 (ms) | p99 (ms) | "
          "requests/s | errors | duplicate search: first, loads index (ms) | search p50 / p95 (ms) | "
          "search after a job stored 2 faces p50 / p95 (ms) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r.size:,} | {r.database} | {r.descriptors:,} | {ms(r.status_lat, 50)} | {ms(r.status_lat, 99)} | "
              f"{r.status_rate:.0f} | {r.status_errors} | {r.first_search * 1000:.0f} | "
              f"{ms(r.searches, 50)} / {ms(r.searches, 95)} | {ms(r.after_job, 50)} / {ms(r.after_job, 95)} |")


if __name__ == "__main__":
    main()
