"""Search speed on synthetic help centers, beside SQLite FTS5 on the same corpus and queries.

    .venv/bin/python bench/search_speed.py [--sizes 200,2000,20000] [--seconds 10] [--no-load] [--semantic]

For each corpus size (seeded; articles of 150-1,500 words in 2-6 sections)
it prints index build time, index size, peak memory while building, and the
latency of 300 shopper-style queries: uncached (first time a query is asked),
repeated (answered from the per-generation cache), typo correction, and the
same queries on FTS5 (bm25, porter) with the ratio. At 2,000 articles it also
serves the instant-search JSON through Flask, and (with wrk installed) loads
the results page under gunicorn (2 workers, 4 connections): unique queries
(uncached) and a Zipf-distributed mix (where caching counts).
With --semantic (needs requirements-semantic.txt) it also builds the index
with vectors and prints what semantic search adds: build time against the
lexical build, latency over the same uncached queries, and resident memory
per worker (anonymous memory is each worker's own; the memory-mapped model
and vectors are file pages that the workers of a node share).
Figures drift 15-20 % between runs on a shared machine; compare ratios.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import multiprocessing
import os
import random
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from kb.content import Article, Library, pack  # noqa: E402
from kb.render import Heading  # noqa: E402
from kb.search import Search, semantic, vectors  # noqa: E402
from kb.search.lifecycle import build_generation, read_speller, switch  # noqa: E402
from kb.search.query import droppable, normalize, split  # noqa: E402

SEED = 20261124
QUERIES = 300
CATEGORIES = ["orders-and-shipping", "returns-and-refunds", "checkout-and-payment", "account-and-privacy",
              "before-you-buy", "warranty-and-care"]
SHOP_WORDS = """
order orders parcel package delivery deliver delivered shipping courier tracking track dispatch dispatched
return returns returning refund refunds refunded exchange exchanges swap size sizes sizing fit small large
payment pay paid card declined failed klarna paypal voucher vouchers promo code discount student gift
account password email address login sign reset delete privacy data newsletter unsubscribe invoice vat
receipt jacket jackets boots boot tent tents sleeping bag down waterproof wash washing care repair warranty
faulty broken damaged missing late delayed lost customs duties europe international express standard free
cost costs price prices stock restock store collect edinburgh label labels postage week days working hours
""".split()
FUNCTION_WORDS = "the a to of and in your you for is it on we if our can with this be or are at from".split()
QUESTION_STARTS = ["", "", "how do i", "where is my", "can i", "why is my", "what if my", "how long does"]


def make_lexicon(rng: random.Random, size: int) -> list[str]:
    syllables = ["ka", "lo", "mi", "ter", "san", "ve", "dor", "pli", "qua", "ren", "tis", "mo", "bar", "en",
                 "sul", "fa", "gri", "hen", "jo", "nu", "pra", "ost", "wel", "ix"]
    made = set()
    while len(made) < size:
        made.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return SHOP_WORDS + sorted(made)


class Corpus:
    """Seeded articles that read statistically like a help center.

    About a third of the words are function words; content words follow a
    Zipf curve whose commonest word is about 1 % of the text (as in real
    prose), and each article dwells on a few topic words of its own (a
    quarter of its content words), from which its title and headings come.
    """

    def __init__(self, size: int, seed: int = SEED):
        self.rng = random.Random(seed + size)
        self.lexicon = make_lexicon(self.rng, 12_000)
        weights = [1 / (rank + 40) for rank in range(len(self.lexicon))]
        self.cumulative = list(_accumulate(weights))
        self.articles = [self._article(n) for n in range(size)]

    def words(self, count: int, topic: list[str] = ()) -> list[str]:
        picked = self.rng.choices(self.lexicon, cum_weights=self.cumulative, k=count)
        return [self.rng.choice(FUNCTION_WORDS) if r < 0.35 else self.rng.choice(topic) if topic and r < 0.5 else w
                for w, r in zip(picked, (self.rng.random() for _ in picked))]

    def _sentence(self, topic: list[str]) -> str:
        return " ".join(self.words(self.rng.randint(8, 20), topic)).capitalize() + "."

    def _article(self, n: int) -> dict:
        rng = self.rng
        topic = self.rng.choices(self.lexicon[:3000], k=6)
        target = rng.randint(150, 1500)
        sections, total = [], 0
        for _ in range(rng.randint(2, 6)):
            paragraphs = []
            while total < target * (len(sections) + 1) / 6 or not paragraphs:
                paragraph = " ".join(self._sentence(topic) for _ in range(rng.randint(2, 5)))
                paragraphs.append(paragraph)
                total += len(paragraph.split())
            heading = [rng.choice(topic)] + [w for w in self.words(rng.randint(1, 4)) if w not in FUNCTION_WORDS]
            sections.append((" ".join(heading).capitalize(), paragraphs))
        title = " ".join(rng.sample(topic, rng.randint(2, 4))).capitalize()
        return {"slug": f"article-{n}", "title": title, "summary": self._sentence(topic),
                "category": CATEGORIES[n % len(CATEGORIES)], "tags": tuple(self.words(4)), "sections": sections}

    def queries(self, count: int) -> list[str]:
        """Shopper-style: words from an article's title or headings, some questions, some typos."""
        found = []
        for _ in range(count):
            article = self.rng.choice(self.articles)
            source = self.rng.choice([article["title"]] + [s[0] for s in article["sections"]])
            words = [w for w in source.lower().split() if w not in FUNCTION_WORDS][:3] or source.lower().split()[:2]
            if self.rng.random() < 0.15:
                words[0] = typo(self.rng, words[0])
            found.append(" ".join([self.rng.choice(QUESTION_STARTS), *words]).strip())
        return found


def _accumulate(weights):
    total = 0.0
    for w in weights:
        total += w
        yield total


def typo(rng: random.Random, word: str) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def to_article(raw: dict) -> Article:
    html, markdown, headings = [], [], []
    for title, paragraphs in raw["sections"]:
        anchor = slugify(title)
        headings.append(Heading(2, anchor, title))
        html.append(f'<h2 id="{anchor}">{title}</h2>')
        html += [f"<p>{p}</p>" for p in paragraphs]
        markdown += [f"## {title}", *paragraphs]
    return Article(slug=raw["slug"], path=f"articles/{raw['category']}/{raw['slug']}.md", title=raw["title"],
                   summary=raw["summary"], category=raw["category"], tags=raw["tags"], updated=None, draft=False,
                   aliases=(), order=100, featured=False, id=None, packed_html=pack("\n".join(html)),
                   packed_markdown=pack("\n\n".join(markdown)), headings=tuple(headings),
                   source_hash=hashlib.sha256(str(raw).encode()).hexdigest())


def to_markdown(raw: dict) -> str:
    body = "\n\n".join(f"## {title}\n\n" + "\n\n".join(paragraphs) for title, paragraphs in raw["sections"])
    return (f"---\ntitle: {raw['title']}\nsummary: {raw['summary']}\ncategory: {raw['category']}\n"
            f"tags: {json.dumps(list(raw['tags']))}\n---\n{body}\n")


# ---------------------------------------------------------------- measuring

def ms(seconds: float) -> float:
    return seconds * 1000


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def timed(function, items) -> list[float]:
    samples = []
    for item in items:
        start = time.perf_counter()
        function(item)
        samples.append(ms(time.perf_counter() - start))
    return samples


def directory_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def peak_mib() -> float:
    """This process's peak resident memory plus that of its largest finished child (parallel build)."""
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024


def _build_whoosh_child(index_dir: str, articles: list, queue) -> None:
    start = time.perf_counter()
    generation = build_generation(Path(index_dir), articles)
    switch(Path(index_dir), generation)
    queue.put((time.perf_counter() - start, peak_mib()))


def _build_fts_child(db_path: str, articles: list, queue) -> None:
    start = time.perf_counter()
    db = sqlite3.connect(db_path)
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(slug UNINDEXED, category UNINDEXED, title, about, body, "
               "tokenize='porter unicode61 remove_diacritics 2')")
    db.executemany("INSERT INTO docs VALUES (?, ?, ?, ?, ?)", [
        (a.slug, a.category, a.title, " ".join([a.summary, *a.tags, *(h.title for h in a.headings)]), a.text)
        for a in articles])
    db.commit()
    db.close()
    queue.put((time.perf_counter() - start, peak_mib()))


def in_child(target, *args) -> tuple[float, float]:
    """Run a build in a fresh process: its own peak memory (MiB) is the build's."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def fts_query(db: sqlite3.Connection, query: str) -> list:
    """The same words as ours (stop words dropped), OR-ed, bm25 with the same field weights, 10 snippets."""
    typed = split(normalize(query)).words
    drop = droppable(typed)
    words = [w for w in typed if w not in drop]
    if not words:
        return []
    match = " OR ".join(f'"{w}"' for w in words)
    return db.execute("SELECT slug, snippet(docs, 4, '<mark>', '</mark>', ' … ', 24) FROM docs "
                      "WHERE docs MATCH ? ORDER BY bm25(docs, 4.0, 2.0, 1.0) LIMIT 10", (match,)).fetchall()


def report(label: str, whoosh: list[float], fts: list[float] | None = None) -> None:
    p50, p95 = percentiles(whoosh)
    line = f"  {label:34} p50 {p50:8.2f} ms  p95 {p95:8.2f} ms"
    if fts is not None:
        f50, f95 = percentiles(fts)
        line += f"   | FTS5 p50 {f50:6.2f} ms  p95 {f95:6.2f} ms  | ratio p50 {p50 / f50:5.1f}x"
    print(line, flush=True)


def bench_size(size: int, scratch: Path, args) -> None:
    print(f"\n== {size:,} articles", flush=True)
    corpus = Corpus(size)
    articles = [to_article(raw) for raw in corpus.articles]
    queries = corpus.queries(QUERIES)
    words = sum(len(a.text.split()) for a in articles)
    print(f"  corpus: {words:,} words, {words // size} per article on average; {QUERIES} queries", flush=True)

    index_dir = scratch / f"index-{size}"
    build_s, build_mib = in_child(_build_whoosh_child, str(index_dir), articles)
    db_path = scratch / f"fts-{size}.sqlite"
    fts_s, fts_mib = in_child(_build_fts_child, str(db_path), articles)
    whoosh_bytes = directory_size(index_dir)
    print(f"  build: Whoosh {build_s:6.1f} s, {whoosh_bytes / 2**20:6.1f} MiB on disk, peak {build_mib:5.0f} MiB"
          f"   | FTS5 {fts_s:5.1f} s, {db_path.stat().st_size / 2**20:5.1f} MiB, peak {fts_mib:4.0f} MiB"
          f"   | ratio {build_s / fts_s:4.1f}x", flush=True)

    library = Library(articles={a.slug: a for a in articles}, categories=(), aliases={}, contact=None, problems=())
    start = time.perf_counter()
    search = Search(index_dir, library, scratch / "no-content", r"(?!x)x", "none")
    search.finder()
    print(f"  open + first query: {ms(time.perf_counter() - start) + timed(search.search, ['delivery'])[0]:.0f} ms",
          flush=True)
    db = sqlite3.connect(db_path)

    uncached = timed(search.search, queries)
    repeated = timed(search.search, queries)
    instant = timed(lambda q: search.search(q, per_page=6, prefix=True), queries)
    fts = timed(lambda q: fts_query(db, q), queries)
    report("uncached query (results + snippets)", uncached, fts)
    report("repeated query (cached)", repeated)
    report("instant search (prefix, 6 results)", instant)

    finder = search.finder()
    start = time.perf_counter()
    read_speller(finder.generation, finder.vocabulary)
    print(f"  typo table read in {ms(time.perf_counter() - start):.1f} ms "
          f"(once per generation, on the first typo; {len(finder.vocabulary):,} words)", flush=True)
    typos = [typo(random.Random(i), w) for i, w in enumerate(w for q in queries for w in q.split() if len(w) >= 6)]
    report("typo correction per word", timed(finder.speller.correct, typos[:300]))
    typo_queries = [f"{w} {q}" for w, q in zip(typos, queries)]
    report("query with a typo (uncached)", timed(search.search, typo_queries))
    finder.close()
    db.close()

    if args.semantic:
        semantic_figures(articles, library, queries, index_dir, scratch, build_s)
    if size == 2000 and not args.no_flask:
        flask_figures(corpus, scratch, queries, args)


def _build_semantic_child(index_dir: str, articles: list, queue) -> None:
    """A lexical build, then the first embedding of every passage (which a node runs in the background)."""
    embedder = semantic.load()
    generation = build_generation(Path(index_dir), articles, embedder)
    switch(Path(index_dir), generation)
    start = time.perf_counter()
    vectors.finish(generation, embedder)
    queue.put((time.perf_counter() - start, peak_mib()))


def _edit_one_child(index_dir: str, articles: list, queue) -> None:
    """A rebuild after one article's title changed: only its passage is embedded again."""
    edited = [replace(articles[0], title=articles[0].title + " (updated)"), *articles[1:]]
    embedder = semantic.load()
    generation = build_generation(Path(index_dir), edited, embedder)
    start = time.perf_counter()
    embedded = vectors.finish(generation, embedder)
    queue.put((time.perf_counter() - start, embedded))


def memory_mib() -> dict[str, float]:
    """This process's resident memory, and the part of it that is anonymous (not shareable file pages)."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:])
    return {name: int(fields[name].split()[0]) / 1024 for name in ("Rss", "Anonymous")}


def _semantic_worker_child(lexical_dir: str, semantic_dir: str, library, queries: list[str], queue) -> None:
    """One worker's view: lexical search warmed up, then the same queries with semantic search on."""
    lexical = Search(Path(lexical_dir), library, Path("no-content"), r"(?!x)x", "none")
    lexical.search("delivery")
    plain = timed(lexical.search, queries)
    before = memory_mib()
    start = time.perf_counter()
    embedder = semantic.load()
    on = Search(Path(semantic_dir), library, Path("no-content"), r"(?!x)x", "none", embedder)
    on.search("delivery")
    started = time.perf_counter() - start
    with_model = timed(on.search, queries)
    after = memory_mib()
    queue.put((plain, with_model, started, before, after))


def semantic_figures(articles: list, library, queries: list[str], lexical_dir: Path, scratch: Path,
                     lexical_build_s: float) -> None:
    """What semantic search adds at this size: build, latency, memory per worker."""
    if semantic.load() is None:
        print("  semantic: not installed (pip install --no-deps -r requirements-semantic.txt)", flush=True)
        return
    semantic_dir = scratch / f"index-{len(articles)}-semantic"
    build_s, build_mib = in_child(_build_semantic_child, str(semantic_dir), articles)
    generation = semantic_dir / (semantic_dir / "current").read_text()
    meta = json.loads((generation / semantic.ROWS).read_text())
    print(f"  first embedding (in the background, lexical search answering): {build_s:6.1f} s "
          f"({build_s / lexical_build_s:.1f}x the lexical build), {len(meta['rows']):,} vectors "
          f"({meta['embedded']:,} distinct texts embedded), "
          f"{(generation / semantic.VECTORS).stat().st_size / 2**20:.1f} MiB on disk, "
          f"peak {build_mib:5.0f} MiB", flush=True)
    edit_s, embedded = in_child(_edit_one_child, str(semantic_dir), articles)
    print(f"  one article's title edited: {edit_s:.2f} s of embedding ({embedded} passage)", flush=True)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=_semantic_worker_child,
                              args=(str(lexical_dir), str(semantic_dir), library, queries, queue))
    process.start()
    plain, with_model, started, before, after = queue.get()
    process.join()
    report("lexical, uncached (same process)", plain)
    report("semantic, uncached", with_model)
    print(f"  semantic adds p50 {percentiles(with_model)[0] - percentiles(plain)[0]:.2f} ms per uncached query; "
          f"model load + open {ms(started):.0f} ms per worker", flush=True)
    anonymous = after["Anonymous"] - before["Anonymous"]
    shared = (after["Rss"] - before["Rss"]) - anonymous
    print(f"  semantic adds {after['Rss'] - before['Rss']:.0f} MiB resident per worker: {anonymous:.0f} MiB its own, "
          f"{shared:.0f} MiB of memory-mapped model and vectors shared by the workers of a node", flush=True)


def flask_figures(corpus: Corpus, scratch: Path, queries: list[str], args) -> None:
    """The instant-search JSON through Flask, and the results page under gunicorn + wrk."""
    content = scratch / "content-2000"
    write_content(corpus, content)
    env = {"KB_CONTENT_DIR": str(content), "KB_INDEX_DIR": str(scratch / "index-flask"), "SECRET_KEY": "bench",
           "DATABASE_URL": f"sqlite:///{scratch / 'kb.sqlite'}"}
    os.environ.update(env)
    from kb import create_app
    from kb.extensions import db
    start = time.perf_counter()
    app = create_app({"TESTING": True, **env})
    print(f"  Flask app start on 2,000 Markdown files (load + index): {time.perf_counter() - start:.1f} s", flush=True)
    with app.app_context():
        db.create_all()  # the search log: every results page writes a row, as in production
    client = app.test_client()
    json_samples = timed(lambda q: client.get("/search.json", query_string={"q": q}), queries)
    report("instant JSON through Flask (uncached)", json_samples)
    page_samples = timed(lambda q: client.get("/search", query_string={"q": q + " page"}), queries)
    report("results page through Flask (uncached)", page_samples)
    if shutil.which("wrk") and not args.no_load:
        load(env, corpus, queries, args.seconds)


def write_content(corpus: Corpus, content: Path) -> None:
    for category in CATEGORIES:
        (content / category).mkdir(parents=True, exist_ok=True)
    (content / "categories.yml").write_text("".join(f"- slug: {c}\n  title: {c.replace('-', ' ').capitalize()}\n"
                                                    for c in CATEGORIES))
    shutil.copy(ROOT / "articles" / "contact.yml", content / "contact.yml")
    for raw in corpus.articles:
        (content / raw["category"] / f"{raw['slug']}.md").write_text(to_markdown(raw))


WRK_UNIQUE = """
local words = {%s}
init = function(args) math.randomseed(os.time() * 1000 + math.floor(os.clock() * 1000000) + tonumber(args[1] or 0)) end
request = function()
  local q = words[math.random(#words)] .. "+" .. words[math.random(#words)] .. "+" .. words[math.random(#words)]
  return wrk.format("GET", "/search?q=" .. q)
end
"""
WRK_ZIPF = """
local queries = {%s}
local cumulative, total = {}, 0
for i = 1, #queries do total = total + 1 / i; cumulative[i] = total end
init = function(args) math.randomseed(os.time() * 1000 + math.floor(os.clock() * 1000000)) end
request = function()
  local r, i = math.random() * total, 1
  while cumulative[i] < r do i = i + 1 end
  return wrk.format("GET", "/search?q=" .. queries[i])
end
"""


def lua_list(items: list[str]) -> str:
    return ", ".join('"' + item.replace(" ", "+") + '"' for item in items)


@contextmanager
def gunicorn(env: dict):
    """gunicorn with 2 workers on the 2,000-article folder.

    --preload loads the 2,000 Markdown files once, before forking: each
    worker would otherwise spend longer than gunicorn's 30 s boot timeout on
    them. Each worker still opens its own searcher, on its first query.
    """
    from pages import free_port, wait_until_up
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--workers", "2", "--preload", "--bind", f"127.0.0.1:{port}",
               "--chdir", str(ROOT), "--log-level", "warning", "kb:create_app()"]
    process = subprocess.Popen(command, env={**os.environ, **env}, stdout=subprocess.DEVNULL)
    try:
        wait_until_up(port, "/", timeout=300)
        yield port
    finally:
        process.terminate()
        process.wait(30)


def load(env: dict, corpus: Corpus, queries: list[str], seconds: int) -> None:
    from pages import wrk  # the page benchmark's wrk run, for the reference page

    vocabulary = sorted({w for raw in corpus.articles[:400] for w in raw["title"].lower().split()
                         if w not in FUNCTION_WORDS and w.isalpha()})
    with tempfile.TemporaryDirectory() as scripts:
        unique, zipf = Path(scripts) / "unique.lua", Path(scripts) / "zipf.lua"
        unique.write_text(WRK_UNIQUE % lua_list(vocabulary))
        zipf.write_text(WRK_ZIPF % lua_list(queries))
        with gunicorn(env) as port:
            wrk_script(port, unique, 2)  # both workers open their searcher and build their typo table
            for label, script in (("results page, unique queries (uncached)", unique),
                                  ("results page, Zipf query mix (cached)", zipf)):
                if script is zipf:
                    wrk_script(port, zipf, seconds)  # a server that has been up a while has the common ones cached
                figures = wrk_script(port, script, seconds)
                print(f"  {label:40} {figures['rps']:7.0f} requests/s   p50 {figures['p50']:6.1f} ms   "
                      f"p99 {figures['p99']:6.1f} ms   errors {figures['errors']}", flush=True)
            home = wrk(port, "/", seconds, 4)  # the same server's home page, for scale on a busy machine
            print(f"  {'home page (reference, no search)':40} {home['rps']:7.0f} requests/s   p50 {home['p50']:6.1f} ms   "
                  f"p99 {home['p99']:6.1f} ms   errors {home['errors']}", flush=True)


def wrk_script(port: int, script: Path, seconds: int) -> dict:
    from pages import _ms  # the page benchmark's parsing of wrk's output
    output = subprocess.run(["wrk", "--latency", "-t", "2", "-c", "4", "-d", f"{seconds}s", "-s", str(script),
                             f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = {p: _ms(v) for p, v in re.findall(r"^\s+(50|99)%\s+(\S+)", output, re.M)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"rps": rps, "p50": latency["50"], "p99": latency["99"], "errors": int(errors.group(1)) if errors else 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="200,2000,20000")
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--no-load", action="store_true", help="skip gunicorn + wrk")
    parser.add_argument("--no-flask", action="store_true", help="skip the Flask and load figures")
    parser.add_argument("--semantic", action="store_true", help="also measure semantic search (KB_SEMANTIC=1)")
    args = parser.parse_args()
    print(f"search speed: Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, "
          f"{os.cpu_count()} CPUs, seed {SEED}")
    with tempfile.TemporaryDirectory(prefix="kb-search-speed-") as scratch:
        for size in (int(s) for s in args.sizes.split(",")):
            bench_size(size, Path(scratch), args)
    print("\ntargets at 2,000: uncached p50 <= 8 ms, p95 <= 25 ms; repeated p50 <= 0.5 ms; JSON p50 <= 15 ms;"
          "\n  typo correction <= 10 ms p95; build <= 10 s; page >= 150 req/s uncached, >= 800 req/s Zipf;"
          "\n  at 20,000: build <= 120 s, p95 <= 150 ms")
    if args.semantic:
        print("semantic at 2,000: adds p50 <= 15 ms, <= 250 MiB per worker (shared pages once), build <= 3x lexical")


if __name__ == "__main__":
    main()
