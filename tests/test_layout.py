"""Page arithmetic: cards that fit, blocks of text packed onto pages without cutting one."""

from kiosk.play.layout import (bulleted, card_grid, chunk, chunk_pages, largest_fitting, pack_blocks, pack_paragraphs,
                          paragraphs, rows_fitting, shorten_at_word, split_sentences)
from screens.theme import CARD, DARK_RED, GOLD, INK, MUTED, NAVY, PAPER, RED, WHITE, contrast_ratio


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


def test_pages_start_under_the_title_then_under_a_short_heading_and_are_filled_first():
    # A page of 500 under a 300 title: one 150 block fits with its gap, the next goes on.
    assert pack_blocks([150, 150, 150, 150], 500, gap=10, first_lead=300, later_lead=40) == [[0], [1, 2], [3]]
    # A title that leaves no room for the first block: the first page holds the title alone.
    assert pack_blocks([100, 30], 500, gap=10, first_lead=450, later_lead=40) == [[], [0, 1]]
    # Eight short points under a long title: as few pages as fit, not one point per page.
    pages = pack_blocks([52] * 8, 700, gap=12, first_lead=420, later_lead=52)
    assert pages == [[0, 1, 2, 3], [4, 5, 6, 7]]
    # A block taller than a page under the heading still gets a page (never an endless loop).
    assert pack_blocks([900, 20], 500, gap=10, first_lead=100, later_lead=40) == [[], [0], [1]]


def test_a_paragraph_goes_on_over_the_page_at_a_sentence_so_that_pages_are_full():
    def height_of(text):  # 10 characters a line, 10 px a line
        return -(-len(text) // 10) * 10

    one = ["a" * 20 + ".", "b" * 29 + ".", "c" * 9 + "."]  # 30, 30 and 10 px alone
    two = ["d" * 39 + "."]  # 40 px
    # 100 px pages under a 40 px title: the first paragraph's first sentence fits (10 gap + 30).
    pages = pack_paragraphs([one, two], height_of, 100, gap=10, first_lead=40, later_lead=20)
    assert pages == [[one[0]], [" ".join(one[1:])], [two[0]]]
    assert all(sum(map(height_of, page)) + 10 * len(page) <= 100 for page in pages)
    # Whole when it fits; a sentence taller than a page gets a page of its own; nothing is lost.
    assert pack_paragraphs([one], height_of, 200) == [[" ".join(one)]]
    tall = ["x" * 300 + "."]
    assert pack_paragraphs([tall, two], height_of, 100, gap=10, first_lead=40, later_lead=20) == [[], tall, two]
    assert pack_paragraphs([], height_of, 100) == [[]]


def test_people_pages_hold_fewer_under_the_full_title():
    assert chunk_pages(list(range(10)), first=4, rest=6) == [[0, 1, 2, 3], [4, 5, 6, 7, 8, 9]]
    assert chunk_pages(list(range(3)), first=0, rest=6) == [[], [0, 1, 2]]
    assert chunk_pages([], first=4, rest=6) == [[]]
    assert rows_fitting(658, 203.5, 24) == 2 and rows_fitting(659, 203.5, 24) == 3 and rows_fitting(100, 203, 24) == 0


def test_a_long_title_shrinks_through_the_fixed_sizes_then_wraps():
    lines_at = {62: 9, 46: 7, 38: 5}  # a 250-character title in a 950 px column
    height_at = lambda size: lines_at[size] * size * 1.36  # noqa: E731
    assert largest_fitting([62, 46, 38], height_at, limit=300) == 38
    assert largest_fitting([62, 46, 38], height_at, limit=450) == 46
    assert largest_fitting([62, 46, 38], height_at, limit=100) == 38, "the smallest, wrapped on as many lines"


def test_the_continued_heading_is_cut_at_a_whole_word():
    fits = lambda text: len(text) <= 30  # noqa: E731
    assert shorten_at_word("Khu di tích Gò Đống Đa", fits, " (tiếp)") == "Khu di tích Gò Đống Đa (tiếp)"
    short = shorten_at_word("Về việc thông qua Đề án phát triển, giao thông", fits, " (tiếp)")
    assert short == "Về việc thông qua Đề…" + " (tiếp)" and fits(short)
    assert shorten_at_word("Nghiêngnghiêngnghiêngnghiêngnghiêng x", fits, " (tiếp)").startswith("Nghiêng")


def test_every_text_colour_on_its_background_reaches_4_5_to_1():
    pairs = {"header's city and date": (GOLD, RED), "header's name": (WHITE, RED), "sidebar": (GOLD, NAVY),
             "sidebar label": (WHITE, NAVY), "ticker": (WHITE, DARK_RED), "date line": (RED, PAPER),
             "titles": (DARK_RED, PAPER), "body": (INK, PAPER), "notes": (MUTED, PAPER), "card detail": (MUTED, CARD)}
    low = {name: round(contrast_ratio(*pair), 2) for name, pair in pairs.items() if contrast_ratio(*pair) < 4.5}
    assert low == {}
    assert round(contrast_ratio((0.72, 0.11, 0.11), GOLD), 1) == 4.1, "the old header red, as the issue measured it"


def test_a_point_gets_a_bullet_unless_it_is_numbered_already():
    assert bulleted("Mục tiêu tăng trưởng GRDP từ 11% trở lên.") == "•  Mục tiêu tăng trưởng GRDP từ 11% trở lên."
    for marked in ("1. Ưu tiên vốn", "12) Giao Thường trực", "a) Đối với phường", "đ. Mục cuối", "- Gạch đầu dòng"):
        assert bulleted(marked) == marked
    assert bulleted("2026 - 2030 là giai đoạn") == "•  2026 - 2030 là giai đoạn"
