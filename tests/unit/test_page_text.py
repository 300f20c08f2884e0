"""The check that a page's sentences do not run together (tests/page_text.py)."""

from tests.page_text import joined_sentences


def test_two_strings_run_together_are_found() -> None:
    page = "<p>Teksten står i skjemaet for målet.Endringer du ikke hadde sett: 1.</p>"
    (found,) = joined_sentences(page)
    assert "for målet.Endringer du" in found
    assert joined_sentences("<p>Lagre endringeneAvbryt</p>") != []
    assert joined_sentences("<span>Hjem</span><span>Planen</span>") != []


def test_text_apart_in_blocks_or_with_spaces_is_not_a_join() -> None:
    page = """<nav><a href="/">Hjem</a></nav><p>Målet er lagt til. Se planen.</p>
    <dt>Frist</dt><dd>04.05.2027, kl. 10:00</dd><li>f.eks. Ola</li>
    <p>kari.nordmann@example.no</p><button>Lagre</button><button>Avbryt</button>
    <textarea>Hei.Du</textarea><script>a.B()</script>"""
    assert joined_sentences(page) == []
