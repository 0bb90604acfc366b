"""Tests for clearinghouse.units: serial blocks, holdings and ITMO identifiers.

Serial arithmetic follows the Kyoto registries (reference/registries-and-reporting.md,
"Kyoto Protocol registries and the International Transaction Log"): a block [s, e] holds
``e - s + 1`` units, and a partial transfer splits the block in two.
"""

from __future__ import annotations

import copy
import itertools

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from clearinghouse.units import Block, BlockError, Holding, ItmoId, normalise, serial_order, total

EXAMPLES = settings(max_examples=200, deadline=None)


def blk(
    first: int, last: int, vintage: int = 2021, registry: str = "CH", unit_type: str = "ITMO"
) -> Block:
    return Block(registry, unit_type, vintage, first, last)


def clash(a: Block, b: Block) -> bool:
    """Independent overlap oracle: same serial space (registry, unit type) and shared serials.

    Deliberately does not call Block.overlaps, so it can check it.
    """
    return (
        a.registry == b.registry
        and a.unit_type == b.unit_type
        and max(a.first, b.first) <= min(a.last, b.last)
    )


def assert_well_formed(holding: Holding) -> None:
    """Blocks are sorted, pairwise disjoint (in serial space) and fully merged."""
    blocks = holding.blocks
    assert list(blocks) == sorted(blocks, key=serial_order)  # serial order within a space
    for a, b in itertools.combinations(blocks, 2):
        assert not clash(a, b), f"{a} and {b} overlap inside one holding"
    for a, b in itertools.pairwise(blocks):
        mergeable = a.kind == b.kind and a.last + 1 == b.first
        assert not mergeable, f"{a} and {b} should have been merged"


# --------------------------------------------------------------------------- strategies

registries = st.sampled_from(["CH", "EU", "PE"])
unit_types = st.sampled_from(["ITMO", "CHU", "EUA"])
vintages = st.integers(2018, 2023)
identifiers = st.from_regex(r"[A-Z][A-Z0-9_]{0,31}", fullmatch=True)


@st.composite
def blocks(draw: st.DrawFn, max_serial: int = 10**12, max_count: int = 10**9) -> Block:
    first = draw(st.integers(1, max_serial))
    count = draw(st.integers(1, max_count))
    return Block(draw(registries), draw(unit_types), draw(vintages), first, first + count - 1)


@st.composite
def universes(draw: st.DrawFn) -> list[Block]:
    """Pairwise disjoint blocks: per serial space, consecutive segments of random vintages,
    separated by gaps of 0-3 serials (a gap of 0 makes them adjacent)."""
    spaces = draw(st.lists(st.tuples(registries, unit_types), min_size=1, max_size=3, unique=True))
    result: list[Block] = []
    for registry, unit_type in spaces:
        serial = draw(st.integers(1, 1000))
        for _ in range(draw(st.integers(1, 5))):
            count = draw(st.integers(1, 500))
            result.append(Block(registry, unit_type, draw(vintages), serial, serial + count - 1))
            serial += count + draw(st.integers(0, 3))
    return result


@st.composite
def holdings(draw: st.DrawFn) -> Holding:
    universe = draw(universes())
    kept = [b for b in universe if draw(st.booleans())] or universe[:1]
    return Holding.of(draw(st.permutations(kept)))


@st.composite
def sub_block(draw: st.DrawFn, block: Block) -> Block:
    first = draw(st.integers(block.first, block.last))
    last = draw(st.integers(first, block.last))
    return block.with_range(first, last)


# Mostly small quantities, so that most moves can be made; sometimes large ones that cannot.
quantities = st.one_of(st.integers(1, 60), st.integers(1, 1500))
filters = st.fixed_dictionaries(
    {}, optional={"unit_type": unit_types, "vintage": vintages, "registry": registries}
)


# --------------------------------------------------------------------------- Block: basics


class TestBlockConstruction:
    def test_count_is_last_minus_first_plus_one(self) -> None:
        assert blk(1, 1).count == 1
        assert blk(1, 100).count == 100
        assert blk(101, 200).count == 100
        assert blk(5, 6).count == 2

    def test_count_of_billions_without_enumerating(self) -> None:
        # DESIGN principle 3: China alone allocates billions a year; this must be O(1).
        big = Block("CN", "CEA", 2021, 1, 5_000_000_000)
        assert big.count == 5_000_000_000
        left, right = big.split(4_999_999_999)
        assert (left.count, right.count) == (4_999_999_999, 1)

    def test_single_serial_block_is_allowed(self) -> None:
        b = blk(7, 7)
        assert (b.first, b.last, b.count) == (7, 7, 1)

    @pytest.mark.parametrize("first", [0, -1, -100])
    def test_refuses_first_below_one(self, first: int) -> None:
        with pytest.raises(BlockError, match="start at 1"):
            blk(first, 10)

    @pytest.mark.parametrize(("first", "last"), [(10, 9), (2, 1), (100, 1)])
    def test_refuses_last_before_first(self, first: int, last: int) -> None:
        with pytest.raises(BlockError, match="before first"):
            blk(first, last)

    def test_block_error_is_a_value_error(self) -> None:
        assert issubclass(BlockError, ValueError)
        with pytest.raises(ValueError):
            blk(0, 0)

    def test_serial_space_excludes_vintage_and_kind_includes_it(self) -> None:
        b = Block("CH", "ITMO", 2021, 1, 10)
        assert b.serial_space == ("CH", "ITMO")
        assert b.kind == ("CH", "ITMO", 2021)
        assert b.serial_space == Block("CH", "ITMO", 2030, 500, 600).serial_space
        assert b.kind != Block("CH", "ITMO", 2030, 500, 600).kind

    def test_is_immutable_and_hashable(self) -> None:
        b = blk(1, 10)
        with pytest.raises((AttributeError, TypeError)):
            b.first = 2  # type: ignore[misc]
        assert {b, blk(1, 10)} == {b}

    def test_deepcopy_returns_the_same_object(self) -> None:
        b = blk(1, 10)
        assert copy.deepcopy(b) is b

    def test_ordering_is_registry_type_vintage_first_last(self) -> None:
        unsorted = [
            Block("EU", "EUA", 2021, 1, 5),
            Block("CH", "ITMO", 2022, 1, 5),
            Block("CH", "ITMO", 2021, 50, 60),
            Block("CH", "CHU", 2023, 1, 5),
            Block("CH", "ITMO", 2021, 1, 5),
        ]
        assert sorted(unsorted) == [
            Block("CH", "CHU", 2023, 1, 5),
            Block("CH", "ITMO", 2021, 1, 5),
            Block("CH", "ITMO", 2021, 50, 60),
            Block("CH", "ITMO", 2022, 1, 5),
            Block("EU", "EUA", 2021, 1, 5),
        ]

    def test_with_range_keeps_kind(self) -> None:
        b = Block("PE", "ITMO", 2019, 1, 100)
        c = b.with_range(40, 41)
        assert c == Block("PE", "ITMO", 2019, 40, 41)
        with pytest.raises(BlockError):
            b.with_range(0, 5)


# --------------------------------------------------------------------------- Block: split


class TestSplit:
    def test_kyoto_partial_transfer_off_by_one(self) -> None:
        # reference/registries-and-reporting.md, "Kyoto Protocol registries and the ITL":
        # "a partial transfer splits a block ([s, e] minus n -> [s, e-n] and [e-n+1, e];
        # count = end - start + 1, a common off-by-one bug)".
        # Our split(n) takes n units from the START: [s, s+n-1] and [s+n, e].
        s, e, n = 1001, 2000, 300
        block = blk(s, e)
        assert block.count == e - s + 1 == 1000

        taken, rest = block.split(n)
        assert taken == blk(s, s + n - 1) == blk(1001, 1300)
        assert rest == blk(s + n, e) == blk(1301, 2000)
        assert taken.count == n == 300
        assert rest.count == e - s + 1 - n == 700

        # The reference's formulation (n units off the END) is split(count - n).
        head, tail = block.split(block.count - n)
        assert head == blk(s, e - n) == blk(1001, 1700)
        assert tail == blk(e - n + 1, e) == blk(1701, 2000)
        assert tail.count == n
        assert head.count + tail.count == block.count

    def test_split_one_unit_off_each_end(self) -> None:
        assert blk(1, 10).split(1) == (blk(1, 1), blk(2, 10))
        assert blk(1, 10).split(9) == (blk(1, 9), blk(10, 10))

    def test_split_two_unit_block(self) -> None:
        assert blk(5, 6).split(1) == (blk(5, 5), blk(6, 6))

    @pytest.mark.parametrize("n", [0, -1, 10, 11, 1000])
    def test_split_refuses_empty_or_whole_or_oversized(self, n: int) -> None:
        with pytest.raises(BlockError, match="cannot split"):
            blk(1, 10).split(n)

    def test_split_single_serial_block_is_impossible(self) -> None:
        with pytest.raises(BlockError):
            blk(3, 3).split(1)

    def test_split_keeps_kind(self) -> None:
        b = Block("EU", "EUA", 2019, 10, 19)
        left, right = b.split(4)
        assert left.kind == right.kind == b.kind


# --------------------------------------------------------------------------- Block: merge


class TestMerge:
    def test_merges_adjacent_block_of_same_kind(self) -> None:
        assert blk(1, 10).merge(blk(11, 20)) == blk(1, 20)
        assert blk(1, 10).merge(blk(11, 20)).count == 20

    def test_merge_is_directional(self) -> None:
        assert blk(1, 10).adjacent_to(blk(11, 20))
        assert not blk(11, 20).adjacent_to(blk(1, 10))
        with pytest.raises(BlockError, match="does not continue"):
            blk(11, 20).merge(blk(1, 10))

    @pytest.mark.parametrize(
        "other",
        [
            blk(12, 20),  # gap of one serial
            blk(10, 20),  # overlaps at serial 10
            blk(5, 8),  # inside
            blk(11, 20, vintage=2022),  # adjacent serials but another vintage
            blk(11, 20, registry="EU"),  # another registry
            blk(11, 20, unit_type="CHU"),  # another unit type
        ],
    )
    def test_refuses_anything_not_continuing_the_block(self, other: Block) -> None:
        assert not blk(1, 10).adjacent_to(other)
        with pytest.raises(BlockError):
            blk(1, 10).merge(other)


# --------------------------------------------------------------------------- Block: minus


class TestMinus:
    def test_minus_middle_leaves_two_pieces(self) -> None:
        assert blk(1, 100).minus(blk(40, 60)) == [blk(1, 39), blk(61, 100)]

    def test_minus_prefix_and_suffix(self) -> None:
        assert blk(1, 100).minus(blk(1, 30)) == [blk(31, 100)]
        assert blk(1, 100).minus(blk(71, 100)) == [blk(1, 70)]

    def test_minus_single_serials_at_the_edges(self) -> None:
        assert blk(1, 100).minus(blk(1, 1)) == [blk(2, 100)]
        assert blk(1, 100).minus(blk(100, 100)) == [blk(1, 99)]
        assert blk(1, 100).minus(blk(50, 50)) == [blk(1, 49), blk(51, 100)]

    def test_minus_itself_leaves_nothing(self) -> None:
        assert blk(1, 100).minus(blk(1, 100)) == []

    @pytest.mark.parametrize(
        "other",
        [
            blk(90, 110),  # sticks out
            blk(101, 110),  # outside
            blk(1, 101),  # one serial too many: the off-by-one
            blk(40, 60, vintage=2022),  # other vintage
            blk(40, 60, registry="EU"),
            blk(40, 60, unit_type="CHU"),
        ],
    )
    def test_refuses_blocks_not_inside(self, other: Block) -> None:
        with pytest.raises(BlockError, match="not inside"):
            blk(1, 100).minus(other)


# --------------------------------------------------------------------------- Block: relations


class TestOverlapsContainsIntersection:
    def test_overlap_across_vintages_is_double_issuance(self) -> None:
        # Vintage is not part of the serial space (Block docstring).
        a = blk(1, 100, vintage=2021)
        b = blk(50, 150, vintage=2022)
        assert a.overlaps(b)
        assert b.overlaps(a)

    def test_touching_at_one_serial_overlaps_but_adjacent_does_not(self) -> None:
        assert blk(1, 10).overlaps(blk(10, 20))
        assert not blk(1, 10).overlaps(blk(11, 20))
        assert not blk(11, 20).overlaps(blk(1, 10))

    def test_containment_overlaps(self) -> None:
        assert blk(1, 100).overlaps(blk(50, 50))
        assert blk(50, 50).overlaps(blk(1, 100))

    def test_different_registry_or_unit_type_never_overlaps(self) -> None:
        assert not blk(1, 100).overlaps(blk(1, 100, registry="EU"))
        assert not blk(1, 100).overlaps(blk(1, 100, unit_type="CHU"))

    def test_contains_requires_same_kind(self) -> None:
        outer = blk(1, 100)
        assert outer.contains(outer)
        assert outer.contains(blk(1, 1))
        assert outer.contains(blk(100, 100))
        assert outer.contains(blk(2, 99))
        assert not outer.contains(blk(1, 101))
        assert not outer.contains(blk(2, 99, vintage=2022))
        assert not outer.contains(blk(2, 99, registry="EU"))
        assert not blk(2, 99).contains(outer)

    def test_intersection_of_same_kind(self) -> None:
        assert blk(1, 100).intersection(blk(50, 150)) == blk(50, 100)
        assert blk(50, 150).intersection(blk(1, 100)) == blk(50, 100)
        assert blk(1, 100).intersection(blk(100, 200)) == blk(100, 100)
        assert blk(1, 100).intersection(blk(20, 30)) == blk(20, 30)
        assert blk(1, 100).intersection(blk(1, 100)) == blk(1, 100)

    def test_intersection_empty_is_none(self) -> None:
        assert blk(1, 100).intersection(blk(101, 200)) is None
        assert blk(1, 100).intersection(blk(50, 60, registry="EU")) is None
        # Intersection is of interchangeable units: another vintage shares no units.
        assert blk(1, 100).intersection(blk(50, 60, vintage=2022)) is None


# --------------------------------------------------------------------------- Block: text


class TestBlockText:
    def test_str_format(self) -> None:
        assert str(Block("CH", "ITMO", 2021, 1, 100)) == "CH:ITMO:2021:1-100"

    def test_parse(self) -> None:
        assert Block.parse("EU:EUA:2019:1001-2000") == Block("EU", "EUA", 2019, 1001, 2000)

    def test_round_trip(self) -> None:
        b = Block("PE", "ITMO", 2023, 5_000_000_001, 5_000_000_001)
        assert Block.parse(str(b)) == b

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "CH:ITMO:2021",
            "CH:ITMO:2021:1",
            "CH:ITMO:2021:1-2-3",
            "CH:ITMO:abcd:1-2",
            "CH:ITMO:2021:a-2",
            "CH:ITMO:2021:1-",
            "CH:ITMO:2021:0-5",  # first serial below 1
            "CH:ITMO:2021:5-1",  # last before first
            "CH:ITMO:2021:-1-5",
            "X:CH:ITMO:2021:1-2",
        ],
    )
    def test_parse_rejects_malformed_text_with_block_error(self, text: str) -> None:
        with pytest.raises(BlockError):
            Block.parse(text)


# --------------------------------------------------------------------------- normalise / total


class TestNormalise:
    def test_empty(self) -> None:
        assert normalise([]) == ()
        assert total([]) == 0

    def test_sorts_and_merges_adjacent_blocks_in_any_order(self) -> None:
        parts = [blk(21, 30), blk(1, 10), blk(11, 20), blk(50, 60)]
        assert normalise(parts) == (blk(1, 30), blk(50, 60))
        assert total(parts) == 10 + 10 + 10 + 11

    def test_does_not_merge_adjacent_blocks_of_different_kinds(self) -> None:
        parts = [blk(1, 10), blk(11, 20, vintage=2022), blk(21, 30, registry="EU")]
        assert normalise(parts) == tuple(sorted(parts, key=serial_order))

    def test_accepts_a_generator(self) -> None:
        assert normalise(blk(i, i) for i in range(1, 6)) == (blk(1, 5),)

    @pytest.mark.parametrize(
        "parts",
        [
            [blk(1, 10), blk(1, 10)],  # duplicate
            [blk(1, 10), blk(10, 20)],  # one shared serial
            [blk(1, 100), blk(40, 60)],  # containment
            [blk(1, 100), blk(50, 150, vintage=2022)],  # across vintages
            [blk(50, 150, vintage=2022), blk(1, 100, vintage=2021)],
        ],
    )
    def test_refuses_overlapping_input(self, parts: list[Block]) -> None:
        with pytest.raises(BlockError, match="overlaps"):
            normalise(parts)

    def test_refuses_cross_vintage_overlap_hidden_behind_another_block(self) -> None:
        # 2021:1-100 and 2022:50-60 share serials 50-60 (double issuance), but sorting puts
        # 2021:200-300 between them, so comparing each block only with its sorted
        # predecessor misses the clash.
        parts = [blk(1, 100, vintage=2021), blk(200, 300, vintage=2021), blk(50, 60, vintage=2022)]
        with pytest.raises(BlockError):
            normalise(parts)


# --------------------------------------------------------------------------- Holding


@pytest.fixture
def holding() -> Holding:
    return Holding.of(
        [
            blk(201, 300, vintage=2022),
            blk(1, 100, vintage=2021),
            blk(101, 150, vintage=2021),  # merges with 1-100
            blk(501, 600, vintage=2020),
            Block("EU", "EUA", 2019, 1, 40),
            blk(1, 10, unit_type="CHU", vintage=2021),
        ]
    )


class TestHoldingBasics:
    def test_of_normalises(self, holding: Holding) -> None:
        assert holding.blocks == (
            blk(1, 10, unit_type="CHU"),
            blk(1, 150, vintage=2021),
            blk(201, 300, vintage=2022),
            blk(501, 600, vintage=2020),
            Block("EU", "EUA", 2019, 1, 40),
        )
        assert_well_formed(holding)

    def test_of_refuses_overlap(self) -> None:
        with pytest.raises(BlockError):
            Holding.of([blk(1, 10), blk(5, 15)])

    def test_empty_holding(self) -> None:
        empty = Holding()
        assert len(empty) == 0
        assert list(empty) == []
        assert empty.total == 0
        assert empty.quantity() == 0
        assert not empty.holds(blk(1, 1))
        assert empty.holds_all([])

    def test_iter_len_total(self, holding: Holding) -> None:
        assert len(holding) == 5
        assert list(holding) == list(holding.blocks)
        assert holding.total == 10 + 100 + 150 + 100 + 40

    def test_quantity_and_matching_filters(self, holding: Holding) -> None:
        assert holding.quantity() == holding.total
        assert holding.quantity(unit_type="ITMO") == 100 + 150 + 100
        assert holding.quantity(unit_type="ITMO", vintage=2021) == 150
        assert holding.quantity(vintage=2021) == 150 + 10
        assert holding.quantity(registry="EU") == 40
        assert holding.quantity(registry="CH", unit_type="CHU") == 10
        assert holding.quantity(vintage=1999) == 0
        assert holding.matching(vintage=2021) == [blk(1, 10, unit_type="CHU"), blk(1, 150)]
        assert holding.matching(registry="EU", unit_type="EUA", vintage=2019) == [
            Block("EU", "EUA", 2019, 1, 40)
        ]
        assert holding.matching(registry="JP") == []

    def test_deepcopy_returns_the_same_object(self, holding: Holding) -> None:
        assert copy.deepcopy(holding) is holding


class TestHoldingHolds:
    @pytest.mark.parametrize(
        "block",
        [
            blk(1, 150),
            blk(1, 1),
            blk(150, 150),
            blk(100, 101),  # across the merge seam of 1-100 and 101-150
            blk(501, 600, vintage=2020),
            blk(1, 10, unit_type="CHU"),
            Block("EU", "EUA", 2019, 40, 40),
        ],
    )
    def test_holds(self, holding: Holding, block: Block) -> None:
        assert holding.holds(block)

    @pytest.mark.parametrize(
        "block",
        [
            blk(1, 151),  # one past the end
            blk(150, 201, vintage=2021),  # spans a gap
            blk(1, 10, vintage=2022),  # right serials, wrong vintage
            blk(1, 10, registry="EU"),
            blk(151, 200),
            blk(600, 601, vintage=2020),
        ],
    )
    def test_does_not_hold(self, holding: Holding, block: Block) -> None:
        assert not holding.holds(block)

    def test_holds_all(self, holding: Holding) -> None:
        assert holding.holds_all([blk(1, 5), blk(201, 300, vintage=2022)])
        assert not holding.holds_all([blk(1, 5), blk(301, 301, vintage=2022)])
        assert holding.holds_all([])


class TestHoldingAddRemove:
    def test_add_merges_adjacent(self, holding: Holding) -> None:
        bigger = holding.add([blk(151, 200)])
        assert bigger.matching(unit_type="ITMO", vintage=2021) == [blk(1, 200)]
        assert bigger.total == holding.total + 50
        assert_well_formed(bigger)

    def test_add_bridging_block_merges_three_into_one(self) -> None:
        h = Holding.of([blk(1, 10), blk(21, 30)])
        assert h.add([blk(11, 20)]).blocks == (blk(1, 30),)

    def test_add_returns_a_new_holding(self, holding: Holding) -> None:
        before = holding.blocks
        holding.add([blk(1000, 1001)])
        assert holding.blocks == before

    def test_add_nothing(self, holding: Holding) -> None:
        assert holding.add([]) == holding

    @pytest.mark.parametrize(
        "block",
        [
            blk(1, 150),  # exactly a held block
            blk(150, 151),  # one shared serial
            blk(50, 60),  # inside
            blk(50, 60, vintage=2022),  # same serial space, another vintage: still a clash
            # Clashes with 2020:501-600, but 2021:1-150 and 2022:201-300 sort in between.
            blk(550, 560, vintage=2023),
        ],
    )
    def test_add_overlapping_block_raises(self, holding: Holding, block: Block) -> None:
        with pytest.raises(BlockError):
            holding.add([block])

    def test_add_overlapping_blocks_in_one_call_raises(self) -> None:
        with pytest.raises(BlockError):
            Holding().add([blk(1, 10), blk(10, 20)])

    def test_add_cross_vintage_overlap_with_a_block_sorted_in_between_raises(self) -> None:
        # Serials 50-60 of CH/ITMO are already held (as vintage 2021); adding them again as
        # vintage 2022 is double issuance, even though 2021:200-300 sorts between the two.
        h = Holding.of([blk(1, 100, vintage=2021), blk(200, 300, vintage=2021)])
        with pytest.raises(BlockError):
            h.add([blk(50, 60, vintage=2022)])

    def test_remove_from_the_middle_splits(self, holding: Holding) -> None:
        smaller = holding.remove([blk(40, 60)])
        assert smaller.matching(unit_type="ITMO", vintage=2021) == [blk(1, 39), blk(61, 150)]
        assert smaller.total == holding.total - 21
        assert not smaller.holds(blk(40, 40))
        assert smaller.holds(blk(39, 39)) and smaller.holds(blk(61, 61))
        assert_well_formed(smaller)

    def test_remove_whole_blocks(self, holding: Holding) -> None:
        smaller = holding.remove([blk(1, 150), Block("EU", "EUA", 2019, 1, 40)])
        assert smaller.quantity(vintage=2021, unit_type="ITMO") == 0
        assert smaller.quantity(registry="EU") == 0
        assert len(smaller) == 3

    def test_remove_several_pieces_of_one_block(self, holding: Holding) -> None:
        smaller = holding.remove([blk(1, 10), blk(20, 30), blk(141, 150)])
        assert smaller.matching(unit_type="ITMO", vintage=2021) == [blk(11, 19), blk(31, 140)]

    @pytest.mark.parametrize(
        "block",
        [
            blk(140, 160),  # partly held
            blk(151, 151),
            blk(1, 10, vintage=2022),
            blk(1, 10, registry="PE"),
        ],
    )
    def test_remove_unheld_raises_and_leaves_holding_unchanged(
        self, holding: Holding, block: Block
    ) -> None:
        before = holding.blocks
        with pytest.raises(BlockError, match="not in this holding"):
            holding.remove([blk(1, 5), block])
        assert holding.blocks == before

    def test_remove_the_same_units_twice_raises(self, holding: Holding) -> None:
        with pytest.raises(BlockError):
            holding.remove([blk(1, 5), blk(5, 6)])

    def test_remove_then_add_restores(self, holding: Holding) -> None:
        taken = [blk(40, 60), blk(250, 250, vintage=2022)]
        assert holding.remove(taken).add(taken) == holding


class TestHoldingSelect:
    def test_oldest_vintage_first(self, holding: Holding) -> None:
        chosen = holding.select(120, unit_type="ITMO")
        assert chosen == [blk(501, 600, vintage=2020), blk(1, 20, vintage=2021)]
        assert total(chosen) == 120

    def test_lowest_serial_first_within_a_vintage(self) -> None:
        h = Holding.of([blk(500, 509), blk(1, 5), blk(100, 104)])
        assert h.select(7) == [blk(1, 5), blk(100, 101)]

    def test_exact_quantity_takes_whole_blocks(self, holding: Holding) -> None:
        chosen = holding.select(250, unit_type="ITMO")
        assert chosen == [blk(501, 600, vintage=2020), blk(1, 150)]

    def test_all_units(self, holding: Holding) -> None:
        chosen = holding.select(holding.total)
        assert total(chosen) == holding.total
        assert holding.remove(chosen) == Holding()

    def test_filters(self, holding: Holding) -> None:
        assert holding.select(5, vintage=2022) == [blk(201, 205, vintage=2022)]
        assert holding.select(5, registry="EU") == [Block("EU", "EUA", 2019, 1, 5)]
        assert holding.select(10, unit_type="CHU") == [blk(1, 10, unit_type="CHU")]

    def test_selected_units_are_held_and_disjoint(self, holding: Holding) -> None:
        chosen = holding.select(300)
        assert holding.holds_all(chosen)
        for a, b in itertools.combinations(chosen, 2):
            assert not clash(a, b)

    def test_select_does_not_change_the_holding(self, holding: Holding) -> None:
        before = holding.blocks
        holding.select(30)
        assert holding.blocks == before

    def test_short_raises(self, holding: Holding) -> None:
        with pytest.raises(BlockError, match="only 10 of 11"):
            holding.select(11, unit_type="CHU")
        with pytest.raises(BlockError):
            holding.select(holding.total + 1)
        with pytest.raises(BlockError, match="only 0 of 1"):
            holding.select(1, vintage=1999)
        with pytest.raises(BlockError):
            Holding().select(1)

    @pytest.mark.parametrize("quantity", [0, -1, -100])
    def test_non_positive_quantity_raises(self, holding: Holding, quantity: int) -> None:
        with pytest.raises(BlockError, match="positive"):
            holding.select(quantity)


# --------------------------------------------------------------------------- ItmoId


class TestItmoId:
    def test_str_carries_all_decision_6_cma_4_elements(self) -> None:
        # reference/registries-and-reporting.md, "ITMO unique identifier (decision 6/CMA.4)":
        # cooperative approach, originating registry, unit type, vintage, serial range.
        itmo = ItmoId("CH_PE_BILATERAL", Block("PE", "ITMO", 2023, 1001, 2000))
        assert str(itmo) == "CH_PE_BILATERAL-PE-ITMO-2023-1001-2000"

    def test_parse(self) -> None:
        itmo = ItmoId.parse("CH_GH-GH-ITMO_V2-2022-1-500")
        assert itmo.approach == "CH_GH"
        assert itmo.block == Block("GH", "ITMO_V2", 2022, 1, 500)

    def test_round_trip(self) -> None:
        itmo = ItmoId("A6", Block("CH", "ITMO", 2021, 1, 10**12))
        assert ItmoId.parse(str(itmo)) == itmo

    def test_longest_identifier_is_accepted(self) -> None:
        name = "A" + "B" * 31
        assert len(name) == 32
        assert ItmoId(name, Block(name, name, 2021, 1, 1)).approach == name

    @pytest.mark.parametrize(
        "name",
        [
            "",
            "ch",  # lower case
            "Ch",
            "1CH",  # starts with a digit
            "_CH",  # starts with an underscore
            "CH-PE",  # the separator
            "CH PE",
            "CH:PE",
            "CHÜ",
            "A" * 33,  # longer than 32
            "CH\n",  # trailing newline
            "\nCH",
        ],
    )
    @pytest.mark.parametrize("where", ["approach", "registry", "unit_type"])
    def test_rejects_non_identifiers(self, name: str, where: str) -> None:
        parts = {"approach": "A6", "registry": "CH", "unit_type": "ITMO"}
        parts[where] = name
        block = Block(parts["registry"], parts["unit_type"], 2021, 1, 10)
        with pytest.raises(BlockError, match="cannot appear in an ITMO id"):
            ItmoId(parts["approach"], block)

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "A6-CH-ITMO-2021-1",  # five parts
            "A6-CH-ITMO-2021-1-10-X",  # seven parts
            "A6-CH-ITMO-YEAR-1-10",
            "A6-CH-ITMO-2021-one-10",
            "A6-CH-ITMO-2021-0-10",  # serials start at 1
            "A6-CH-ITMO-2021-10-9",  # last before first
            "a6-CH-ITMO-2021-1-10",  # lower-case approach
            "A6-ch-ITMO-2021-1-10",
            "A6-CH-itmo-2021-1-10",
            "A6-CH:X-ITMO-2021-1-10",
            "CH:ITMO:2021:1-10",  # a Block string is not an ITMO id
        ],
    )
    def test_parse_rejects_malformed_ids(self, text: str) -> None:
        with pytest.raises(BlockError):
            ItmoId.parse(text)

    def test_equal_ids_hash_equal(self) -> None:
        a = ItmoId("A6", blk(1, 10))
        b = ItmoId.parse("A6-CH-ITMO-2021-1-10")
        assert a == b
        assert hash(a) == hash(b)
        assert a != ItmoId("A6", blk(1, 11))
        assert a != ItmoId("A7", blk(1, 10))


# --------------------------------------------------------------------------- properties


@EXAMPLES
@given(
    universe=universes(),
    n_holdings=st.integers(2, 4),
    data=st.data(),
    moves=st.lists(
        st.tuples(
            st.integers(0, 3), st.integers(0, 3), quantities, st.one_of(st.just({}), filters)
        ),
        min_size=1,
        max_size=25,
    ),
)
def test_transfers_conserve_units_and_never_overlap(
    universe: list[Block],
    n_holdings: int,
    data: st.DataObject,
    moves: list[tuple[int, int, int, dict[str, object]]],
) -> None:
    owners = data.draw(st.lists(st.integers(0, n_holdings - 1), min_size=len(universe)))
    holdings_ = [
        Holding.of(b for b, owner in zip(universe, owners, strict=False) if owner == i)
        for i in range(n_holdings)
    ]
    units = total(universe)
    everything = Holding.of(universe)

    for src_i, dst_i, quantity, where in moves:
        src_i, dst_i = src_i % n_holdings, dst_i % n_holdings
        src, dst = holdings_[src_i], holdings_[dst_i]
        available = src.quantity(**where)  # type: ignore[arg-type]
        if quantity > available:
            event("move refused: not enough units")
            with pytest.raises(BlockError):
                src.select(quantity, **where)  # type: ignore[arg-type]
            continue
        event("move made")

        chosen = src.select(quantity, **where)  # type: ignore[arg-type]
        assert total(chosen) == quantity
        assert src.holds_all(chosen)
        for block in chosen:
            assert all(getattr(block, key) == value for key, value in where.items()), (
                f"{block} does not match {where}"
            )

        remaining = src.remove(chosen)
        assert remaining.total == src.total - quantity
        # Oldest vintage first: nothing older than the newest chosen vintage is left behind.
        newest = max(b.vintage for b in chosen)
        assert all(b.vintage >= newest for b in remaining.matching(**where))  # type: ignore[arg-type]
        # Lowest serial first within a kind: whatever is left of a kind lies above the choice.
        for c in chosen:
            assert all(r.first > c.last for r in remaining.blocks if r.kind == c.kind)

        if src_i == dst_i:
            holdings_[src_i] = remaining.add(chosen)
            assert holdings_[src_i] == src
        else:
            holdings_[src_i] = remaining
            holdings_[dst_i] = dst.add(chosen)

        assert sum(h.total for h in holdings_) == units
        for h in holdings_:
            assert_well_formed(h)
        for h1, h2 in itertools.combinations(holdings_, 2):
            for a in h1.blocks:
                for b in h2.blocks:
                    assert not clash(a, b), f"{a} and {b} are in two holdings at once"

    # Exactly the original units, vintage for vintage, are still around.
    assert Holding.of(itertools.chain.from_iterable(h.blocks for h in holdings_)) == everything


@EXAMPLES
@given(block=blocks(max_count=10**12), data=st.data())
def test_split_then_merge_is_identity(block: Block, data: st.DataObject) -> None:
    if block.count < 2:
        with pytest.raises(BlockError):
            block.split(1)
        return
    n = data.draw(st.integers(1, block.count - 1))
    left, right = block.split(n)
    assert left.count == n
    assert left.count + right.count == block.count
    assert left.first == block.first and right.last == block.last
    assert left.last + 1 == right.first
    assert not left.overlaps(right)
    assert left.adjacent_to(right)
    assert left.merge(right) == block
    assert normalise([right, left]) == (block,)


@EXAMPLES
@given(block=blocks(max_count=10**6), data=st.data())
def test_minus_partitions_the_block(block: Block, data: st.DataObject) -> None:
    part = data.draw(sub_block(block))
    rest = block.minus(part)
    assert len(rest) <= 2
    assert total(rest) + part.count == block.count
    assert all(not clash(r, part) for r in rest)
    assert all(block.contains(r) for r in rest)
    assert normalise([*rest, part]) == (block,)


@EXAMPLES
@given(a=blocks(max_serial=200, max_count=100), b=blocks(max_serial=200, max_count=100))
def test_relations_agree_with_serial_ranges(a: Block, b: Block) -> None:
    assert a.overlaps(b) == b.overlaps(a) == clash(a, b)
    common = a.intersection(b)
    assert common == b.intersection(a)
    if a.kind == b.kind and clash(a, b):
        assert common is not None
        assert common.first == max(a.first, b.first)
        assert common.last == min(a.last, b.last)
        assert a.contains(common) and b.contains(common)
    else:
        assert common is None
    assert a.contains(b) == (a.kind == b.kind and a.first <= b.first and b.last <= a.last)
    if a.contains(b) and b.contains(a):
        assert a == b


@EXAMPLES
@given(block=blocks())
def test_block_str_parse_round_trip(block: Block) -> None:
    assert Block.parse(str(block)) == block


@EXAMPLES
@given(
    approach=identifiers,
    registry=identifiers,
    unit_type=identifiers,
    vintage=st.integers(1900, 2200),
    first=st.integers(1, 10**15),
    count=st.integers(1, 10**12),
)
def test_itmo_id_str_parse_round_trip(
    approach: str, registry: str, unit_type: str, vintage: int, first: int, count: int
) -> None:
    itmo = ItmoId(approach, Block(registry, unit_type, vintage, first, first + count - 1))
    text = str(itmo)
    assert text.count("-") == 5
    parsed = ItmoId.parse(text)
    assert parsed == itmo
    assert str(parsed) == text


@EXAMPLES
@given(holding=holdings(), data=st.data())
def test_remove_then_add_restores_the_holding(holding: Holding, data: st.DataObject) -> None:
    source = data.draw(st.sampled_from(holding.blocks))
    taken = data.draw(sub_block(source))
    assert holding.holds(taken)
    smaller = holding.remove([taken])
    assert not smaller.holds(taken)
    assert smaller.total == holding.total - taken.count
    assert_well_formed(smaller)
    assert smaller.add([taken]) == holding


@EXAMPLES
@given(holding=holdings(), quantity=st.integers(1, 3000))
def test_remove_then_add_of_a_selection_restores_the_holding(
    holding: Holding, quantity: int
) -> None:
    if quantity > holding.total:
        with pytest.raises(BlockError):
            holding.select(quantity)
        return
    chosen = holding.select(quantity)
    assert holding.remove(chosen).add(chosen) == holding


@EXAMPLES
@given(holding=holdings(), probe=blocks(max_serial=2500, max_count=600))
def test_holds_agrees_with_brute_force(holding: Holding, probe: Block) -> None:
    assert holding.holds(probe) == any(b.contains(probe) for b in holding.blocks)
    assert holding.holds_all([probe]) == holding.holds(probe)


@EXAMPLES
@given(universe=universes(), data=st.data())
def test_normalise_of_disjoint_blocks(universe: list[Block], data: st.DataObject) -> None:
    # Cut every block into random pieces, shuffle, and normalise back.
    pieces: list[Block] = []
    for block in universe:
        while block.count > 1 and data.draw(st.booleans()):
            left, block = block.split(data.draw(st.integers(1, block.count - 1)))
            pieces.append(left)
        pieces.append(block)
    shuffled = data.draw(st.permutations(pieces))
    result = normalise(shuffled)
    assert result == normalise(universe)
    assert total(result) == total(universe)
    assert_well_formed(Holding(result))
    assert Holding(result).holds_all(pieces)


@EXAMPLES
@given(
    parts=st.lists(
        st.builds(
            lambda r, t, v, f, n: Block(r, t, v, f, f + n - 1),
            st.sampled_from(["CH", "EU"]),
            st.just("ITMO"),
            st.integers(2020, 2022),
            st.integers(1, 60),
            st.integers(1, 15),
        ),
        max_size=6,
    )
)
def test_normalise_refuses_exactly_the_overlapping_inputs(parts: list[Block]) -> None:
    overlapping = any(clash(a, b) for a, b in itertools.combinations(parts, 2))
    if overlapping:
        with pytest.raises(BlockError):
            normalise(parts)
    else:
        result = normalise(parts)
        assert total(result) == total(parts)
        assert_well_formed(Holding(result))
