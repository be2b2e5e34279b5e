"""Documents in other formats (spinscope.inputs.documents): PDF, Word .docx and Markdown read as text with a
note; RTF, .doc, OpenDocument and the like refused by name; formats found by their content too.
Fixtures are made here: PDFs with fpdf2, .docx files with python-docx."""

from __future__ import annotations

import io
import json
import random
import zipfile

import pytest

from conftest import run_cli

pytest.importorskip("pypdf")
docx = pytest.importorskip("docx")
fpdf = pytest.importorskip("fpdf")

from spinscope.inputs import documents as formats  # noqa: E402
from spinscope.cli.analyze import expand_inputs  # noqa: E402
from spinscope.corpus import Problem, Record, expand_paths, read_records  # noqa: E402
from spinscope.document import InputError, read_file_bytes  # noqa: E402
from spinscope.inputs.documents import document_page, read_docx, read_markdown, read_pdf, reflow  # noqa: E402
from spinscope.inputs.open import open_source  # noqa: E402

ARTICLE = ("The corrupt elites betrayed us again. Everyone knows the reckless minister is a liar and a clown. "
           "They are destroying our country, and only a fool would trust them. The minister, who has never "
           "once answered a single question from the press about the growing scandal, said nothing at all.")
PAGE2 = "Critics said the plan was a disaster. The council will vote on Monday."


def make_pdf(pages, *, title=None, user_password=None, owner_password=None, noise=False) -> bytes:
    pdf = fpdf.FPDF()
    pdf.set_font("helvetica", size=12)
    if title:
        pdf.set_title(title)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.multi_cell(0, 6, text)
        if noise:  # a picture of noise: its compressed stream holds NUL bytes, as real PDFs do
            from PIL import Image

            rng = random.Random(0)
            img = Image.frombytes("RGB", (40, 40), bytes(rng.randrange(256) for _ in range(40 * 40 * 3)))
            pdf.image(img, x=10, y=200, w=20)
    if user_password or owner_password:
        pdf.set_encryption(owner_password=owner_password or "owner", user_password=user_password)
    return bytes(pdf.output())


def make_docx(build) -> bytes:
    d = docx.Document()
    build(d)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def one_line(e: pytest.ExceptionInfo, *words):
    msg = str(e.value)
    assert "\n" not in msg and "Traceback" not in msg
    for w in words:
        assert w in msg, msg


# --- PDF ----------------------------------------------------------------------------------------


def test_pdf_pages_title_and_note():
    from pypdf import PdfReader

    data = make_pdf([ARTICLE, PAGE2], title="Budget vote")
    page = read_pdf(data, "story.pdf")
    assert page.title == "Budget vote"
    first, second = page.text.split("\n\n")
    assert " ".join(first.split()) == ARTICLE and second == PAGE2 + "\n"
    # fpdf2 wrapped the first page's lines inside sentences; they are joined again, as one paragraph
    raw = PdfReader(io.BytesIO(data)).pages[0].extract_text().split("\n")
    assert any(not ln.rstrip().endswith((".", "!")) for ln in raw)
    assert all(ln.endswith((".", "!")) for ln in first.split("\n"))
    assert page.note.startswith("text extracted from a PDF (2 pages)")
    assert "offsets refer to the extracted text" in page.note


def test_pdf_without_title_and_with_an_empty_page():
    page = read_pdf(make_pdf([PAGE2, "", PAGE2]), "x.pdf")
    assert page.title is None
    assert page.text == PAGE2 + "\n\n" + PAGE2 + "\n"
    assert "3 pages, 1 of them without text, left out" in page.note


def test_reflow_joins_wrapped_lines_only():
    page = ("Opening heading\n"
            "The minister said on Tuesday that the plan, which critics call reckless, would\n"
            "cut costs for every family in the country by the end of the next year. It is\n"
            "well-\nknown that such plans fail, said one econ-\nomist.\n"
            "Short line.\n"
            "Next Paragraph starts here.")
    out = reflow(page).split("\n")
    assert out[0] == "Opening heading"  # short and unpunctuated, but the next line is a new sentence
    assert out[1] == ("The minister said on Tuesday that the plan, which critics call reckless, would "
                      "cut costs for every family in the country by the end of the next year. It is "
                      "well-known that such plans fail, said one econ-omist.")
    assert out[2:] == ["Short line.", "Next Paragraph starts here."]


def test_pdf_encrypted_with_a_password_is_refused_in_one_line():
    with pytest.raises(InputError) as e:
        read_pdf(make_pdf([ARTICLE], user_password="secret"), "locked.pdf")
    one_line(e, "locked.pdf", "password")


def test_pdf_encrypted_without_a_user_password_is_read():
    page = read_pdf(make_pdf([PAGE2], owner_password="owner"), "open.pdf")
    assert page.text == PAGE2 + "\n"


def test_pdf_without_text_layer_needs_ocr():
    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.rect(10, 10, 50, 50)  # a page with a drawing and no text, as a scan has none
    with pytest.raises(InputError) as e:
        read_pdf(bytes(pdf.output()), "scan.pdf")
    one_line(e, "scan.pdf", "no text layer", "OCR")


@pytest.mark.parametrize("damage", [lambda d: d[: len(d) // 2], lambda d: b"%PDF-1.7\n" + b"\x00garbage" * 50])
def test_broken_pdf_is_one_line(damage):
    with pytest.raises(InputError) as e:
        read_pdf(damage(make_pdf([ARTICLE])), "broken.pdf")
    one_line(e, "broken.pdf", "cannot read the PDF")


def test_pdf_found_by_its_content_whatever_its_name(tmp_path):
    data = make_pdf([ARTICLE], noise=True)
    assert b"\x00" in data[:65536]  # what made read_file_bytes call it "a binary file"
    f = tmp_path / "story.txt"
    f.write_bytes(data)
    page = open_source(str(f))
    assert " ".join(page.text.split()) == ARTICLE and "PDF" in page.note
    assert open_source(str(f), html=True).text == page.text  # --html cannot make a PDF an HTML page
    bare = tmp_path / "noname"
    bare.write_bytes(data)
    assert open_source(str(bare)).text == page.text


def test_binary_files_without_a_known_format_stay_binary(tmp_path):
    f = tmp_path / "blob.txt"
    f.write_bytes(b"\x00\x01\x02 not a document")
    with pytest.raises(InputError, match="binary"):
        open_source(str(f))
    with pytest.raises(InputError, match="binary"):
        read_file_bytes(f, binary_ok=formats.has_document_magic)


def test_a_pdf_name_on_something_else_says_so():
    with pytest.raises(InputError) as e:
        document_page(b"<html><body>Not found</body></html>", "report.pdf")
    one_line(e, "report.pdf", "not a PDF")


# --- Word -----------------------------------------------------------------------------------------


def test_docx_heading_paragraphs_and_table():
    def build(d):
        d.core_properties.title = "Template leftover"
        d.add_heading("Budget vote", 0)  # the Title style
        d.add_paragraph("The corrupt elites betrayed us again.")
        d.add_heading("Reaction", 1)
        p = d.add_paragraph("Critics called it ")
        p.add_run("a disaster").bold = True
        p.add_run(".")
        d.add_paragraph("")
        d.add_paragraph("")
        t = d.add_table(rows=2, cols=2)
        t.cell(0, 0).text, t.cell(0, 1).text = "Party", "Votes"
        t.cell(1, 0).merge(t.cell(1, 1)).text = "Total"

    page = read_docx(make_docx(build), "story.docx")
    assert page.title == "Budget vote"  # the visible title, not analysed as a line of the text
    assert page.text == ("The corrupt elites betrayed us again.\nReaction\nCritics called it a disaster.\n\n"
                         "Party\tVotes\nTotal\n")
    assert page.note.startswith("text extracted from a Word document")


def test_docx_title_from_its_properties_and_tracked_changes():
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    def build(d):
        d.core_properties.title = "Council meeting"
        p = d.add_paragraph("The plan was ")
        p._p.append(parse_xml(f'<w:ins {nsdecls("w")} w:id="1" w:author="ed"><w:r><w:t>never </w:t></w:r></w:ins>'))
        p._p.append(parse_xml(f'<w:del {nsdecls("w")} w:id="2" w:author="ed"><w:r><w:delText>always </w:delText>'
                              "</w:r></w:del>"))
        p.add_run("popular.")

    page = read_docx(make_docx(build), "draft.docx")
    assert page.title == "Council meeting"
    assert page.text == "The plan was never popular.\n"  # as Word shows it with the changes accepted


def test_docx_found_by_content_and_damaged_ones_in_one_line(tmp_path):
    data = make_docx(lambda d: d.add_paragraph(PAGE2))
    f = tmp_path / "story.txt"
    f.write_bytes(data)
    assert open_source(str(f)).text == PAGE2 + "\n"
    with pytest.raises(InputError) as e:
        document_page(data[: len(data) // 2], "cut.docx")
    one_line(e, "cut.docx", "cannot read the Word document")
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<not xml")
    with pytest.raises(InputError) as e:
        document_page(broken.getvalue(), "bad.docx")
    one_line(e, "bad.docx", "cannot read the Word document")
    with pytest.raises(InputError) as e:
        document_page(make_docx(lambda d: None), "empty.docx")
    one_line(e, "empty.docx", "no text")


def zip_of(members: dict) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, content in members.items():
            z.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize("name, data, words", [
    ("story.rtf", b"{\\rtf1\\ansi The corrupt elites.}", ("story.rtf", "RTF documents are not supported", ".docx")),
    ("story.txt", b"{\\rtf1\\ansi The corrupt elites.}", ("story.txt", "RTF")),
    ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ("old.doc", "legacy Word (.doc)")),
    ("old.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ("old.bin", "legacy Microsoft Office")),
    ("story.odt", zip_of({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<x/>"}),
     ("story.odt", "OpenDocument text")),
    ("story.zip", zip_of({"mimetype": "application/vnd.oasis.opendocument.text"}), ("OpenDocument",)),
    ("sheet.docx", zip_of({"xl/workbook.xml": "<x/>"}), ("sheet.docx", "spreadsheets")),
    ("story.pages", zip_of({"Index/Document.iwa": "x"}), ("story.pages", "Apple Pages")),
    ("story.pages", b"not even a zip", ("story.pages", "Apple Pages")),
    ("files.txt", zip_of({"a.txt": "x"}), ("files.txt", "ZIP archive", "unzip")),
    ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ("photo.txt", "image", "OCR")),
])
def test_other_formats_are_refused_by_name(name, data, words):
    with pytest.raises(InputError) as e:
        document_page(data, name)
    one_line(e, *words)


def test_text_and_html_are_left_to_the_caller():
    assert document_page(b"Plain text.\n", "a.txt") is None
    assert document_page(b"A file that starts with %PDF- is a PDF.\n", "a.txt") is None  # only at the start
    assert document_page(b"GIF8 was a format.\n", "a.txt") is None
    assert document_page(b"<html><body><p>x</p></body></html>", "a.html") is None
    assert document_page(b"# Not markdown here\n", "a.md", by_suffix=False) is None


# --- Markdown -------------------------------------------------------------------------------------


def test_markdown_renders_to_plain_text():
    md = ("# Budget *vote*\n\n"
          "The **corrupt** elites [betrayed](https://example.com) us, `said` one\n"
          "critic &amp; another.\n\n"
          "## Reaction\n\n"
          "- They are *destroying* our country!\n"
          "- Only a fool would trust them.\n\n"
          "1. First\n2. Second\n\n"
          "> A quote.\n\n"
          "![a picture](x.png)\n\n"
          "| Party | Votes |\n|---|---|\n| Red | 10 |\n")
    page = read_markdown(md, "story.md")
    assert page.title == "Budget vote"
    assert page.text == ("The corrupt elites betrayed us, said one critic & another.\n\n"
                         "Reaction\n\n"
                         "They are destroying our country!\nOnly a fool would trust them.\n\n"
                         "First\nSecond\n\n"
                         "A quote.\n\n"
                         "Party\tVotes\nRed\t10\n")
    assert "#" not in page.text and "*" not in page.text and "](" not in page.text
    assert page.note.startswith("text rendered from Markdown")


def test_markdown_front_matter_html_and_late_headings():
    page = read_markdown("---\ntitle: \"From the front matter\"\ndate: 2024-01-01\n---\n\nIntro.\n\n"
                         "# A later heading\n\n<script>alert(1)</script>\n<p>Raw <b>HTML</b> text.</p>\n", "a.md")
    assert page.title == "From the front matter"
    assert page.text == "Intro.\n\nA later heading\n\nRaw HTML text.\n"
    assert read_markdown("", "empty.md").note is None


def test_markdown_by_suffix_through_open_source(tmp_path):
    f = tmp_path / "story.markdown"
    f.write_text("# Headline\n\nThe corrupt elites betrayed us.\n", encoding="utf-8")
    page = open_source(str(f))
    assert (page.title, page.text) == ("Headline", "The corrupt elites betrayed us.\n")
    assert open_source(str(f), html=True).title is None  # --html says the input is HTML


# --- through the CLI ------------------------------------------------------------------------------


def test_cli_analyzes_a_pdf(tmp_path):
    f = tmp_path / "story.pdf"
    f.write_bytes(make_pdf([ARTICLE, PAGE2], title="Budget vote"))
    proc = run_cli("analyze", f, "--format", "json", "--no-entities")
    assert proc.returncode == 0, proc.stderr.decode()
    doc = json.loads(proc.stdout)
    assert doc["text"] == read_pdf(f.read_bytes(), str(f)).text
    assert " ".join(doc["text"].split()) == ARTICLE + " " + PAGE2
    assert doc["title"] == "Budget vote"
    assert any(n.startswith("text extracted from a PDF (2 pages)") for n in doc["notes"])
    assert doc["spans"]
    for s in doc["spans"]:
        assert doc["text"][s["start"]:s["end"]] == s["text"]


def test_cli_reads_docx_and_markdown_and_stdin(tmp_path):
    f = tmp_path / "story.docx"
    f.write_bytes(make_docx(lambda d: (d.add_heading("Headline", 0), d.add_paragraph(ARTICLE))))
    doc = json.loads(run_cli("analyze", f, "--format", "json", "--no-entities", check=True).stdout)
    assert (doc["title"], doc["text"]) == ("Headline", ARTICLE + "\n")
    for s in doc["spans"]:
        assert doc["text"][s["start"]:s["end"]] == s["text"]
    assert any("Word document" in n for n in doc["notes"])
    doc = json.loads(run_cli("analyze", "-", "--format", "json", "--no-entities", "--no-claims",
                             input=make_pdf([PAGE2]), check=True).stdout)
    assert doc["text"] == PAGE2 + "\n" and any("PDF" in n for n in doc["notes"])


def test_cli_refuses_rtf_in_one_line(tmp_path):
    f = tmp_path / "story.rtf"
    f.write_bytes(b"{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}} The corrupt elites.}")
    proc = run_cli("analyze", f, "--format", "json", "--no-entities")
    assert proc.returncode == 2
    lines = proc.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "story.rtf" in lines[0] and "RTF documents are not supported" in lines[0]
    assert "Traceback" not in proc.stderr.decode()


def test_folders_pick_documents_in_sorted_order(tmp_path, capsys):
    for name in ("b.pdf", "a.txt", "c.docx", "d.md", "E.MD", "notes.rtf", "page.html", "~$c.docx", "._b.pdf"):
        (tmp_path / name).write_bytes(b"x")
    files, skipped = expand_inputs([str(tmp_path)])
    assert [f.rsplit("/", 1)[-1] for f in files] == ["E.MD", "a.txt", "b.pdf", "c.docx", "d.md"]
    assert skipped == 0
    empty = tmp_path / "empty"
    empty.mkdir()
    expand_inputs([str(empty)])
    assert "has no .txt, .pdf, .docx or .md files" in capsys.readouterr().err


# --- corpus add -----------------------------------------------------------------------------------


def test_corpus_reads_documents(tmp_path):
    (tmp_path / "a.pdf").write_bytes(make_pdf(["The corrupt elites betrayed us."], title="PDF story"))
    (tmp_path / "b.docx").write_bytes(make_docx(lambda d: d.add_paragraph(PAGE2)))
    (tmp_path / "c.md").write_text("# MD story\n\nThe *council* voted.\n", encoding="utf-8")
    (tmp_path / "d.txt").write_bytes(make_pdf([PAGE2], noise=True))  # a PDF under a .txt name
    (tmp_path / "e.rtf").write_bytes(b"{\\rtf1 x}")
    (tmp_path / "f.pdf").write_bytes(make_pdf([""]))
    files, problems, ignored = expand_paths([tmp_path])
    assert [f.name for f in files] == ["a.pdf", "b.docx", "c.md", "d.txt", "f.pdf"]
    assert problems == [] and ignored[".rtf"] == 1
    got = list(read_records(files))
    records = [r for r in got if isinstance(r, Record)]
    assert [(r.title, r.text) for r in records] == [
        ("PDF story", "The corrupt elites betrayed us.\n"), (None, PAGE2 + "\n"), ("MD story", "The council voted.\n"), (None, PAGE2 + "\n")]
    assert records[0].metadata["input_note"].startswith("text extracted from a PDF")
    assert [str(p) for p in got if isinstance(p, Problem)] == [
        f"{tmp_path / 'f.pdf'}: the PDF has no text layer (it is a scan or holds only images); "
        "run OCR on it first (e.g. ocrmypdf) and give the result"]
    _, problems, _ = expand_paths([tmp_path / "e.rtf"])
    assert [str(p) for p in problems] == [f"{tmp_path / 'e.rtf'}: " + formats.REFUSED_SUFFIXES[".rtf"]]


# --- the web app's upload -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client():
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from spinscope.detect import default_detector
    from spinscope.web import create_app

    with TestClient(create_app(detector=default_detector())) as c:
        yield c


def test_web_upload_reads_pdf_docx_and_markdown(client):
    r = client.post("/", files={"file": ("story.pdf", make_pdf([ARTICLE], title="Budget vote"), "application/pdf")})
    assert r.status_code == 200
    assert "Note: text extracted from a PDF (1 page)" in r.text
    assert "corrupt elites betrayed us" in r.text and "Budget vote" in r.text
    r = client.post("/", files={"file": ("story.docx", make_docx(lambda d: d.add_paragraph(ARTICLE)),
                                         "application/octet-stream")})
    assert r.status_code == 200 and "Note: text extracted from a Word document" in r.text
    r = client.post("/", files={"file": ("story.md", b"# Head\n\nThe *corrupt* elites lied.\n", "text/markdown")})
    assert r.status_code == 200 and "Note: text rendered from Markdown" in r.text
    assert "The corrupt elites lied." in r.text


def test_web_upload_refuses_other_formats(client):
    r = client.post("/", files={"file": ("story.rtf", b"{\\rtf1 The corrupt elites.}", "application/rtf")})
    assert r.status_code == 422 and "story.rtf: RTF documents are not supported" in r.text
    r = client.post("/", files={"file": ("scan.pdf", make_pdf([""]), "application/pdf")})
    assert r.status_code == 422 and "no text layer" in r.text
    page = client.get("/").text
    assert 'accept=".txt,.html,.htm,.pdf,.docx,.md' in page and ".pdf, .docx or .md" in page


def test_docx_that_unpacks_too_large_is_refused_before_reading(monkeypatch):
    monkeypatch.setattr(formats, "MAX_UNPACKED", 10_000)  # the real limit is 200 MB; the check is the same
    data = make_docx(lambda d: d.add_paragraph("x " * 20_000))
    with pytest.raises(InputError) as e:
        document_page(data, "bomb.docx")
    one_line(e, "bomb.docx", "unpacks to more than 10,000 bytes")


def test_pdf_with_wrong_offsets_is_read_quietly(tmp_path):
    data = make_pdf([PAGE2])
    f = tmp_path / "shifted.pdf"  # its xref table now points wrong: pypdf repairs it, and warns
    f.write_bytes(data[:9] + b"%a comment that moves every object\n" + data[9:])
    proc = run_cli("analyze", f, "--format", "json", "--no-entities", "--no-claims")
    assert proc.returncode == 0 and json.loads(proc.stdout)["text"] == PAGE2 + "\n"
    err = proc.stderr.decode()  # pypdf's warnings would go to Python's last-resort handler, on stderr
    assert "startxref" not in err and "Object Streams" not in err and "Traceback" not in err
