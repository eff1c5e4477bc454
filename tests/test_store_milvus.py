"""QA_STORE=milvus: settings, the token kept secret, documents added and removed, a rebuild under concurrent
questions, and a server that is down or refuses the token. The golden suite against Milvus: test_golden_milvus.py."""

from __future__ import annotations

import logging
import shutil
import socket
import threading
import time

import pytest

from conftest import SEED, write_docket
from milvus_server import milvus_server
from qa import Engine, QAError, Settings
from qa.errors import StoreAuthError, StoreUnavailableError

TOKEN = "root:s3cret-milvus-token-4711"


def milvus_engine(corpus, tmp_path, **settings) -> Engine:
    settings.setdefault("milvus_uri", str(tmp_path / "record.db"))
    return Engine(corpus_dir=corpus, index_dir=tmp_path / "no-index", store="milvus", **settings)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed when the block ends: nothing listens there


# ---------------------------------------------------------------------------------------------- settings

def test_store_settings_from_environment_flags_and_keywords():
    from qa.cli import main  # noqa: F401  (the flags come from the Settings fields)

    env = {"QA_STORE": "Milvus", "QA_MILVUS_URI": "http://127.0.0.1:19530", "QA_MILVUS_TOKEN": TOKEN,
           "QA_MILVUS_COLLECTION": "firm_record"}
    s = Settings.from_env(env)
    assert (s.store, s.milvus_uri, s.milvus_token, s.milvus_collection) == \
        ("milvus", "http://127.0.0.1:19530", TOKEN, "firm_record")
    assert Settings.from_env({}, store="milvus", milvus_uri="a.db").milvus_uri == "a.db"
    assert Settings().store == "faiss"
    with pytest.raises(QAError, match="QA_STORE"):
        Settings.from_env({"QA_STORE": "elastic"})


def test_cli_flags_reach_the_settings(monkeypatch, tmp_path):
    import qa.cli

    seen = {}

    class Recorder:
        def __init__(self, settings):
            seen["settings"] = settings

        def documents(self):
            return []

    monkeypatch.setattr(qa.cli, "Engine", Recorder)
    assert qa.cli.main(["docs", "--store", "milvus", "--milvus-uri", str(tmp_path / "x.db"),
                        "--milvus-collection", "firm_record"]) == 0
    s = seen["settings"]
    assert (s.store, s.milvus_uri, s.milvus_collection) == ("milvus", str(tmp_path / "x.db"), "firm_record")


def test_collection_name_is_derived_from_the_record_and_checked(tmp_path):
    from qa.store_milvus import collection_name

    a, b = tmp_path / "a" / "corpus", tmp_path / "b" / "corpus"
    name = collection_name(Settings(corpus_dir=a))
    assert name.startswith("qa_corpus_") and name == collection_name(Settings(corpus_dir=a))
    assert name != collection_name(Settings(corpus_dir=b))
    with pytest.raises(QAError, match="not a Milvus name"):
        collection_name(Settings(milvus_collection="bad-name; drop"))


def test_the_token_is_never_shown(seed_corpus, tmp_path, caplog):
    settings = Settings(store="milvus", milvus_uri=f"http://127.0.0.1:{closed_port()}", milvus_token=TOKEN)
    assert TOKEN not in repr(settings) and TOKEN not in str(settings)
    caplog.set_level(logging.DEBUG)
    engine = Engine(corpus_dir=seed_corpus, settings=settings)
    with pytest.raises(StoreUnavailableError) as failure:
        engine.ask("Why were the charges against Baldwin dismissed?")
    assert TOKEN not in str(failure.value) and TOKEN not in caplog.text
    assert "s3cret" not in str(failure.value) and "s3cret" not in caplog.text


# ---------------------------------------------------------------------------------------------- a server

def test_a_server_that_is_down_is_a_clear_error(seed_corpus, tmp_path):
    engine = milvus_engine(seed_corpus, tmp_path, milvus_uri=f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(StoreUnavailableError, match="not reachable.*QA_MILVUS_URI"):
        engine.ask("Why were the charges against Baldwin dismissed?")


def test_a_refused_token_is_a_clear_error_and_the_right_one_serves(seed_corpus, tmp_path):
    with milvus_server(tmp_path / "server", token=TOKEN) as uri:
        wrong = milvus_engine(seed_corpus, tmp_path, milvus_uri=uri, milvus_token="root:wrong-password")
        with pytest.raises(StoreAuthError, match="refused the credentials.*QA_MILVUS_TOKEN") as failure:
            wrong.ask("Why were the charges against Baldwin dismissed?")
        assert "wrong-password" not in str(failure.value)
        right = milvus_engine(seed_corpus, tmp_path, milvus_uri=uri, milvus_token=TOKEN)
        answer = right.ask("Why were the charges against Baldwin dismissed?")
        assert not answer.abstained and answer.citations
        # Nothing stored in Milvus carries the token: not the manifest, not a document record.
        from qa.store_milvus import connect

        client = connect(right.settings)
        version = right.index.store.version
        rows = client.query(version.record, filter="id >= 0", output_fields=["payload"], limit=1000)
        assert rows and not any("s3cret" in r["payload"] for r in rows)


def test_the_app_says_the_store_is_down(tmp_path, monkeypatch, capsys):
    import sys

    from conftest_app import ROOT

    sys.path.insert(0, str(ROOT))
    pytest.importorskip("gradio", reason="the app extra (gradio) is not installed")
    import app

    monkeypatch.setenv("QA_STORE", "milvus")
    monkeypatch.setenv("QA_MILVUS_URI", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("QA_MILVUS_TOKEN", TOKEN)
    assert app.main(["--port", str(closed_port())]) == 2
    err = capsys.readouterr().err
    assert "error: Milvus at http://127.0.0.1:" in err and "not reachable" in err
    assert "Traceback" not in err and "s3cret" not in err


# ---------------------------------------------------------------------------------------------- the record

NEW_DOC = ("Memo on the vault.\n\nThe evidence vault at the Santa Fe courthouse opens with the code 40417. "
           "Only the clerk Marisol Quintero holds the key.\n")


def test_adding_and_removing_a_document(seed_corpus, tmp_path):
    from qa.store_milvus import collection_name, connect

    engine = milvus_engine(seed_corpus, tmp_path)
    engine.refresh()
    first = engine.index.store
    assert engine.add_document("vault.txt", NEW_DOC.encode()) == "vault.txt"
    answer = engine.ask("Who holds the key to the evidence vault?")
    assert not answer.abstained and "Quintero" in answer.text
    assert {c.doc_id for c in answer.citations} == {"vault.txt"}
    assert answer.citations[0].quote in engine.document_text("vault.txt")
    # Inserted per doc_id into the live version: the same collections, the next generation.
    added = engine.index.store
    assert (added.version, added.generation) == (first.version, first.generation + 1)
    assert {d["doc_id"] for d in engine.documents()} == {SEED.name, "vault.txt"}
    # Only the unchanged document's vectors were reused: the new version embedded the new document alone.
    assert engine.index.manifest["build"]["embedded_sentences"] == len(engine.index.documents["vault.txt"].sentences)

    # A second app process (no corpus, no index folder) serves what the first published.
    replica = Engine(corpus_dir=tmp_path / "no-corpus", index_dir=tmp_path / "no-index-2", store="milvus",
                     milvus_uri=str(tmp_path / "record.db"), milvus_collection=collection_name(engine.settings))
    assert "Quintero" in replica.ask("Who holds the key to the evidence vault?").text
    assert not (tmp_path / "no-index-2").exists() and not (tmp_path / "no-corpus").exists()

    engine.remove_document("vault.txt")
    assert [d["doc_id"] for d in engine.documents()] == [SEED.name]
    gone = engine.ask("Who holds the key to the evidence vault?")
    assert "Quintero" not in gone.text and {p.chunk.doc_id for p in gone.passages} == {SEED.name}
    time.sleep(1.1)  # the replica looks at the alias at most once a second
    gone = replica.ask("Who holds the key to the evidence vault?")
    assert "Quintero" not in gone.text and {p.chunk.doc_id for p in gone.passages} == {SEED.name}
    # Removed per doc_id: its rows are dead in the generation that removed it (searched by no one), and deleted by
    # the next update, when no reader is left on the generation before; the seed's rows are untouched throughout.
    client = connect(engine.settings)
    store = engine.index.store
    assert store.version == first.version and store.generation == first.generation + 2
    assert store.dead == {"vault.txt": store.generation}
    engine.add_document("other.txt", b"A note.\n\nThe hearing was moved to a later date.\n")
    assert engine.index.store.dead == {}
    assert not client.query(first.version.chunks, filter='doc_id == "vault.txt"', output_fields=["id"], limit=10)
    assert not client.query(first.version.sentences, filter='doc_id == "vault.txt"', output_fields=["id"], limit=10)
    seed_rows = client.query(first.version.chunks, filter=f'doc_id == "{SEED.name}"', output_fields=["generation"],
                             limit=1000)
    assert seed_rows and {r["generation"] for r in seed_rows} == {first.generation}


def test_a_document_saved_twice_gives_distinct_passages_on_milvus_too(seed_corpus, tmp_path):
    (seed_corpus / "saved-again.txt").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    engine = milvus_engine(seed_corpus, tmp_path)
    answer = engine.ask("Who was the armorer on the film?")
    texts = [" ".join(p.chunk.text.split()) for p in answer.passages]
    assert len(texts) >= engine.settings.top_k and len(set(texts)) == len(texts)


def test_a_docket_gives_the_reader_sentences_to_choose_from_on_milvus_too(tmp_path):
    (tmp_path / "corpus").mkdir()
    write_docket(tmp_path / "corpus")
    engine = milvus_engine(tmp_path / "corpus", tmp_path)
    answer = engine.ask("When did the court let counsel withdraw?")
    assert sum(len(p.chunk.sentence_ids) for p in answer.passages) == 3 * engine.settings.reader_candidates


def test_a_full_rebuild_writes_a_new_version_and_switches_the_alias(seed_corpus, tmp_path):
    from qa.index import build_index
    from qa.store_milvus import collection_name, connect

    engine = milvus_engine(seed_corpus, tmp_path)
    versions = [engine.index.store.version]
    for _ in range(3):  # python -m qa index --force
        build_index(engine.settings, engine.embedder, previous=None)
        versions.append(engine.refresh().store.version)
    assert len(set(versions)) == 4
    client = connect(engine.settings)
    assert client.describe_alias(collection_name(engine.settings))["collection_name"] == versions[-1].chunks
    # The live version and the one before it are kept (questions in flight finish on it); older ones are dropped.
    live = {n for n in client.list_collections() if n.startswith(collection_name(engine.settings) + "__v")}
    assert live == {name for v in versions[-2:] for name in v.collections}
    assert not engine.ask("Why were the charges against Baldwin dismissed?").abstained


def test_a_rebuild_under_concurrent_questions_shows_no_mixed_record(tmp_path):
    """The index job changes the record over and over, alternating between two versions of one memo whose
    sentences sit at different positions, by per-document updates and by full rebuilds; app threads keep asking.
    Every answer must come whole from one record: the code it gives, the passages it read and the quotes it cites
    all agree."""
    from qa.index import build_index

    corpus_a, corpus_b = tmp_path / "a", tmp_path / "b"
    for corpus, code, padding in ((corpus_a, "1111", 0), (corpus_b, "2222", 6)):
        corpus.mkdir()
        shutil.copy(SEED, corpus / SEED.name)
        filler = "".join(f"Paragraph {i} of the memo records routine filing number {i * 7}.\n\n" for i in range(padding))
        (corpus / "memo.txt").write_text(f"Vault memo.\n\n{filler}The evidence vault code is {code}, set by the clerk."
                                         f"\n", encoding="utf-8")
    uri = str(tmp_path / "record.db")
    writer = Engine(corpus_dir=corpus_a, index_dir=tmp_path / "w", store="milvus", milvus_uri=uri,
                    milvus_collection="concurrent_record")
    writer.refresh()
    app_engine = Engine(corpus_dir=tmp_path / "none", index_dir=tmp_path / "r", store="milvus", milvus_uri=uri,
                        milvus_collection="concurrent_record")
    app_engine.ask("What is the evidence vault code?")
    stop, answers, errors = threading.Event(), [], []

    def ask():
        while not stop.is_set():
            try:
                answers.append(app_engine.ask("What is the evidence vault code?"))
            except Exception as exc:  # noqa: BLE001 - any failure is a finding
                errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(3)]
    for t in threads:
        t.start()
    seen = set()
    try:
        for i in range(8):
            writer.settings = writer.settings.replace(corpus_dir=corpus_b if i % 2 == 0 else corpus_a)
            if i % 4 < 2:
                writer.refresh()  # memo.txt changed: its rows replaced in the live version, per doc_id
            else:
                build_index(writer.settings, writer.embedder, previous=None)  # a full rebuild: a new version
                writer.refresh()
            seen.add((writer.index.store.version.chunks, writer.index.store.generation))
            time.sleep(1.2)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors[:3]
    assert len(seen) == 8 and len({v for v, _ in seen}) == 5 and len(answers) >= 12
    codes_seen = set()
    for answer in answers:
        said = {c for c in ("1111", "2222") if c in answer.text}
        read = {c for p in answer.passages for c in ("1111", "2222") if c in p.chunk.text}
        quoted = {c for cit in answer.citations for c in ("1111", "2222") if c in cit.quote}
        assert len(said) == 1 and said == read == quoted, (answer.text, said, read, quoted)
        codes_seen |= said
    assert codes_seen == {"1111", "2222"}  # the app did follow the rebuilds


def test_a_replica_with_nothing_published_says_to_run_the_index_job(tmp_path):
    from qa import EmptyCorpusError

    replica = Engine(corpus_dir=tmp_path / "no-corpus", index_dir=tmp_path / "no-index", store="milvus",
                     milvus_uri=str(tmp_path / "empty.db"), milvus_collection="never_indexed")
    with pytest.raises(EmptyCorpusError, match="Nothing is published in Milvus under 'never_indexed'.*python -m qa index"):
        replica.ask("Why were the charges against Baldwin dismissed?")
