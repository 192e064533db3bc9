"""Page arithmetic: cards that fit, blocks of text packed onto pages without cutting one."""

from kiosk.layout import card_grid, chunk, pack_blocks, paragraphs, split_sentences


def test_cards_fill_the_area_and_never_less_than_one():
    grid = card_grid(1468, 590, card_min_width=660, card_height=122, gap=24)
    assert (grid.columns, grid.rows, grid.per_page) == (2, 4, 8)
    assert card_grid(100, 50, 660, 122, 24).per_page == 1
    assert card_grid(9000, 590, 100, 122, 24, max_columns=3).columns == 3


def test_chunks_keep_order_and_an_empty_list_is_one_page():
    assert chunk(list(range(7)), 3) == [[0, 1, 2], [3, 4, 5], [6]]
    assert chunk([], 3) == [[]]


def test_blocks_are_packed_in_order_with_gaps_and_never_split():
    assert pack_blocks([100, 100, 100], page_height=220, gap=10) == [[0, 1], [2]]
    assert pack_blocks([300, 50], page_height=220) == [[0], [1]], "a tall block gets its own page"
    assert pack_blocks([], 100) == [[]]


def test_sentences_split_after_their_mark():
    text = "Câu một. Câu hai! Câu ba: có số 1.5 ở giữa; hết"
    assert split_sentences(text) == ["Câu một.", "Câu hai!", "Câu ba:", "có số 1.5 ở giữa;", "hết"]


def test_paragraphs_are_the_parts_between_blank_lines():
    text = "  Một.\nvẫn một.\n\n\n  Hai.  \n \t\nBa.\n\n"
    assert paragraphs(text) == ["Một.\nvẫn một.", "Hai.", "Ba."]
    assert paragraphs(" \n\n ") == []
