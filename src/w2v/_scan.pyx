# cython: language_level=3
"""Compiled tokenizer for path corpora: counting words and encoding them as ids.

The pure-Python pipeline (:class:`w2v.data.corpus.PathCorpus` feeding
:func:`w2v.data.vocab.count_words` or :func:`w2v.data.encoding.encode_corpus`) is the
reference; the scanners here reproduce its results exactly, working on raw UTF-8
bytes without creating a Python object per token:

* a line ends at byte ``0x0A`` only;
* tokens are separated by the characters ``str.split()`` treats as whitespace: the
  ASCII bytes ``\\t \\n \\x0b \\x0c \\r \\x1c-\\x1f`` and space, and the UTF-8 forms of
  U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000
  (bytes ``C2 85``, ``C2 A0``, ``E1 9A 80``, ``E2 80 80-8A``, ``E2 80 A8``,
  ``E2 80 A9``, ``E2 80 AF``, ``E2 81 9F``, ``E3 80 80``); in valid UTF-8 the bytes
  ``C2 E1 E2 E3`` only ever start a character, so matching them byte by byte is exact;
* a line's tokens form sentences of ``max_len`` tokens (the last one shorter); lines
  without tokens give nothing;
* bytes that are not valid UTF-8, and NUL bytes, always end up inside a token; such
  a token never equals a word of a table (those are valid UTF-8 without NUL), and
  every token not found in the table is validated, so the scanner reports
  ``INVALID_UTF8`` and the caller produces the error the Python reader would have
  raised.

Python reads each file in blocks straight into the scanner's buffer
(:meth:`Scanner.window`), calls :meth:`Scanner.process` with the number of bytes
read, and :meth:`Scanner.finish` at the end of the file. A token cut by a block
boundary (or a multi-byte whitespace character cut by one) is carried over to the
next block. The byte loop runs without the GIL, in batches: the tokens of a batch
are found and hashed first (prefetching their hash-table slots), then looked up.
"""

import numpy as np

from cpython.dict cimport PyDict_SetItem
from cython cimport view as cython_view
from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.stdint cimport int32_t, int64_t, uint8_t, uint64_t, uintptr_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcmp, memcpy, memmove, memset

__all__ = ["INVALID_UTF8", "SLOT_BYTES", "UNSUPPORTED", "CountScanner", "EncodeScanner",
           "PhraseScanner", "Unsupported", "table_slots"]


cdef extern from *:
    """
    #if defined(__linux__)
    #include <sys/mman.h>
    #endif
    /* Ask for transparent huge pages over the 2 MiB-aligned inside of p[:n] (Linux; a
       hint elsewhere ignored): a large hash table is probed at random, and with 4 KiB
       pages nearly every probe also misses the TLB. Call before the pages are touched. */
    static void w2v_huge_pages(void* p, size_t n) {
    #if defined(__linux__) && defined(MADV_HUGEPAGE)
        uintptr_t start = ((uintptr_t)p + 0x1FFFFF) & ~(uintptr_t)0x1FFFFF;
        uintptr_t end = ((uintptr_t)p + n) & ~(uintptr_t)0x1FFFFF;
        if (end > start)
            (void)madvise((void*)start, end - start, MADV_HUGEPAGE);
    #else
        (void)p;
        (void)n;
    #endif
    }
    /* Index, in memory order, of the first nonzero byte of the 8 bytes in m (m != 0). */
    static inline int w2v_first_byte(uint64_t m) {
    #if (defined(__GNUC__) || defined(__clang__)) && defined(__BYTE_ORDER__) \
        && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        return __builtin_ctzll(m) >> 3;
    #elif (defined(__GNUC__) || defined(__clang__)) && defined(__BYTE_ORDER__) \
        && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        return __builtin_clzll(m) >> 3;
    #elif defined(_MSC_VER) && defined(_WIN64)
        unsigned long k;
        _BitScanForward64(&k, m);
        return (int)(k >> 3);
    #else
        unsigned char bytes[8];
        int k;
        memcpy(bytes, &m, 8);
        for (k = 0; k < 8 && !bytes[k]; k++) {
        }
        return k;
    #endif
    }
    """
    int w2v_first_byte(uint64_t m) nogil
    void w2v_huge_pages(void* p, size_t n) nogil


from w2v._prefetch cimport W2V_PREFETCH


cdef enum:  # statuses of the tokenizer
    OK = 0
    BAD_UTF8 = 1
    NO_MEMORY = 2
    TOO_BIG = 3

INVALID_UTF8 = BAD_UTF8  # status: a token is not valid UTF-8
# status: a token longer than ``max_token_bytes`` (or 4 GiB), or 2**31 distinct words
UNSUPPORTED = TOO_BIG

cdef enum:
    SLACK = 8        # readable bytes kept after every buffer's end (8-byte loads)
    BATCH = 256      # tokens found before they are looked up
    RECORD_ARENA = 1 << 25  # a counting scan's record stops past this many bytes of words
    TOKEN_BYTE = 0   # byte classes: part of a token
    SPACE_BYTE = 1   # ASCII whitespace other than the newline
    NEWLINE_BYTE = 2  # 0x0A: ends the line
    LEAD_BYTE = 3    # first byte of a possible multi-byte whitespace character

cdef uint8_t BYTE_CLASS[256]
cdef uint64_t HEAD_MASK[9]  # HEAD_MASK[n]: keeps the first n bytes of an 8-byte load


cdef void _init_tables() noexcept:
    cdef int b, n
    cdef uint8_t pattern[8]
    for b in range(256):
        BYTE_CLASS[b] = TOKEN_BYTE
    for b in (0x09, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20):
        BYTE_CLASS[b] = SPACE_BYTE
    BYTE_CLASS[0x0A] = NEWLINE_BYTE
    for b in (0xC2, 0xE1, 0xE2, 0xE3):
        BYTE_CLASS[b] = LEAD_BYTE
    for n in range(9):
        for b in range(8):
            pattern[b] = 0xFF if b < n else 0
        memcpy(&HEAD_MASK[n], pattern, 8)


_init_tables()


class Unsupported(Exception):
    """The fast path cannot reproduce the Python path for these arguments; use that."""


cdef inline uint64_t _load(const uint8_t* p) noexcept nogil:
    cdef uint64_t x
    memcpy(&x, p, 8)
    return x


cdef inline int _space_length(const uint8_t* b, Py_ssize_t i, Py_ssize_t end) noexcept nogil:
    """Length of the multi-byte whitespace character at ``b[i]`` (a LEAD_BYTE).

    0 if there is none; -1 if the bytes up to ``end`` begin one but stop short.
    """
    cdef uint8_t lead = b[i], b1, b2
    if i + 1 >= end:
        return -1
    b1 = b[i + 1]
    if lead == 0xC2:  # U+0085, U+00A0
        return 2 if b1 == 0x85 or b1 == 0xA0 else 0
    if lead == 0xE1:  # U+1680
        if b1 != 0x9A:
            return 0
    elif lead == 0xE2:  # U+2000-U+200A, U+2028, U+2029, U+202F; U+205F
        if b1 != 0x80 and b1 != 0x81:
            return 0
    elif b1 != 0x80:  # 0xE3: U+3000
        return 0
    if i + 2 >= end:
        return -1
    b2 = b[i + 2]
    if lead == 0xE2:
        if b1 == 0x80:
            return 3 if 0x80 <= b2 <= 0x8A or b2 == 0xA8 or b2 == 0xA9 or b2 == 0xAF else 0
        return 3 if b2 == 0x9F else 0
    return 3 if b2 == 0x80 else 0


cdef bint _valid_utf8(const uint8_t* p, int64_t n) noexcept nogil:
    """Whether ``p[:n]`` is well-formed UTF-8 (what Python's strict decoder accepts)
    without NUL, which the Python reader refuses too (see ``PathCorpus._decode``)."""
    cdef int64_t i = 0
    cdef uint8_t c, b1, lo, hi
    while i < n:
        c = p[i]
        if c < 0x80:
            if c == 0:
                return False
            i += 1
            continue
        if c < 0xC2 or c > 0xF4:
            return False
        if c < 0xE0:
            if i + 1 >= n or (p[i + 1] & 0xC0) != 0x80:
                return False
            i += 2
            continue
        lo = 0x80
        hi = 0xBF
        if c == 0xE0:
            lo = 0xA0  # no overlong forms
        elif c == 0xED:
            hi = 0x9F  # no surrogates
        elif c == 0xF0:
            lo = 0x90
        elif c == 0xF4:
            hi = 0x8F  # nothing above U+10FFFF
        if i + 1 >= n:
            return False
        b1 = p[i + 1]
        if b1 < lo or b1 > hi:
            return False
        if c < 0xF0:
            if i + 2 >= n or (p[i + 2] & 0xC0) != 0x80:
                return False
            i += 3
        else:
            if i + 3 >= n or (p[i + 2] & 0xC0) != 0x80 or (p[i + 3] & 0xC0) != 0x80:
                return False
            i += 4
    return True


cdef inline uint64_t _head(const uint8_t* p, int64_t n) noexcept nogil:
    """The first (up to) 8 bytes of ``p[:n]`` as an integer, later bytes zeroed.

    Reads 8 bytes: ``p`` must have SLACK readable bytes after ``p[n - 1]``.
    """
    return _load(p) & HEAD_MASK[n if n < 8 else 8]


cdef inline uint64_t _hash(const uint8_t* p, int64_t n, uint64_t head) noexcept nogil:
    """64-bit hash of ``p[:n]`` (``head`` from :func:`_head`); reads up to SLACK past it."""
    cdef uint64_t h = (head ^ (<uint64_t>n * 0x9E3779B97F4A7C15ULL)) * 0xBF58476D1CE4E5B9ULL
    cdef int64_t i = 8
    while i < n:
        h ^= h >> 29
        if n - i >= 8:
            h = (h ^ _load(p + i)) * 0xBF58476D1CE4E5B9ULL
        else:
            h = (h ^ (_load(p + i) & HEAD_MASK[n - i])) * 0xBF58476D1CE4E5B9ULL
        i += 8
    h ^= h >> 33
    h *= 0xFF51AFD7ED558CCDULL
    h ^= h >> 33
    h *= 0xC4CEB9FE1A85EC53ULL
    h ^= h >> 33
    return h


cdef inline bint _same_tail(const uint8_t* a, const uint8_t* b, int64_t n) noexcept nogil:
    """Whether ``a[8:n] == b[8:n]``; both need SLACK readable bytes past ``n``."""
    cdef int64_t i = 8
    while n - i > 8:
        if _load(a + i) != _load(b + i):
            return False
        i += 8
    return ((_load(a + i) ^ _load(b + i)) & HEAD_MASK[n - i]) == 0


# --- a hash table of byte strings ------------------------------------------------------

cdef struct Slot:
    uint64_t head    # the word's first 8 bytes (see _head)
    uint64_t meta    # (hash >> 32) << 32 | length; 0 for a free slot
    int64_t value    # count, or word id
    int64_t offset   # of the word's bytes in the arena


cdef struct Table:
    void* raw          # the allocation slots live in (aligned to 64 bytes)
    Slot* slots        # open addressing, linear probing from (hash >> 32) & mask
    uint64_t mask      # slot count - 1 (a power of two), at least twice the word count
    int64_t* order     # slot of each word, in insertion order
    int64_t size
    int64_t capacity   # of order
    uint8_t* arena     # the words' bytes, in insertion order (+ SLACK)
    int64_t arena_size
    int64_t arena_capacity
    bint dense         # filled up to 3/4 before growing, not 1/2 (phrase tables: 4M+ keys)


cdef Slot* _new_slots(Table* t, uint64_t n_slots) noexcept nogil:
    """A zeroed, 64-byte aligned slot array; the old one stays in ``t`` until freed."""
    cdef void* raw = malloc(n_slots * sizeof(Slot) + 64)
    cdef Slot* slots
    if raw == NULL:
        return NULL
    slots = <Slot*>((<uintptr_t>raw + 63) & ~(<uintptr_t>63))
    if n_slots * sizeof(Slot) >= (<size_t>8 << 20):
        w2v_huge_pages(slots, n_slots * sizeof(Slot))
    memset(slots, 0, n_slots * sizeof(Slot))
    free(t.raw)
    t.raw = raw
    return slots


cdef inline uint64_t _slots_for(int64_t words) noexcept nogil:
    """The slots of a table holding ``words`` words: a power of two, at least 1024 and at
    least twice the words."""
    cdef uint64_t n_slots = 1024
    while n_slots < <uint64_t>(2 * words):
        n_slots *= 2
    return n_slots


#: Bytes of one slot of the counter's hash table (for memory estimates).
SLOT_BYTES = sizeof(Slot)


def table_slots(int64_t words) -> int:
    """The slots of the counter's hash table once it has held ``words`` distinct words
    (plus 8 bytes a word while growing or pruning).

    Example
    -------
    >>> table_slots(1_000_000) * SLOT_BYTES // 2**20
    64
    """
    if words < 0:
        raise ValueError(f"words must be >= 0, got {words}")
    return _slots_for(words)


cdef int _table_init(Table* t, int64_t expected) noexcept nogil:
    cdef uint64_t n_slots = _slots_for(expected + 1)
    memset(t, 0, sizeof(Table))
    t.slots = _new_slots(t, n_slots)
    t.mask = n_slots - 1
    t.capacity = 1024 if expected < 1024 else expected
    t.order = <int64_t*>malloc(<size_t>t.capacity * sizeof(int64_t))
    t.arena_capacity = 1 << 16
    t.arena = <uint8_t*>malloc(<size_t>t.arena_capacity + SLACK)
    if t.slots == NULL or t.order == NULL or t.arena == NULL:
        return -1
    return 0


cdef void _table_free(Table* t) noexcept nogil:
    free(t.raw)
    free(t.order)
    free(t.arena)
    memset(t, 0, sizeof(Table))


cdef inline int64_t _table_find(Table* t, const uint8_t* p, int64_t n, uint64_t head,
                                uint64_t h) noexcept nogil:
    """Slot holding ``p[:n]`` (hash ``h``), or ``-1 - slot`` of the free slot for it."""
    cdef uint64_t meta = (h & 0xFFFFFFFF00000000ULL) | <uint64_t>n
    cdef uint64_t i = (h >> 32) & t.mask
    cdef Slot* s
    while True:
        s = &t.slots[i]
        if s.meta == meta and s.head == head:
            if n <= 8 or _same_tail(t.arena + s.offset, p, n):
                return <int64_t>i
        elif s.meta == 0:
            return -1 - <int64_t>i
        i = (i + 1) & t.mask


cdef int _table_rebuild(Table* t, uint64_t n_slots) noexcept nogil:
    """Place every word again, in a slot array of ``n_slots`` slots (a fresh one if that is
    another size, else the same one, cleared), keeping their order.

    Only the words' values are kept aside: the words are hashed again from the arena, which
    holds them one after the other, in order (adding and pruning keep it so). A fresh array
    is allocated after the old one is freed, so the peak is the larger array plus 8 bytes a
    word, not both arrays or a copy of every slot. A failed allocation loses the table (the
    caller reports NO_MEMORY and the scanner is not used again)."""
    cdef int64_t* values = <int64_t*>malloc(<size_t>(t.size if t.size > 0 else 1)
                                            * sizeof(int64_t))
    cdef int64_t k, offset = 0, n, found
    cdef const uint8_t* p
    cdef uint64_t head, h
    cdef Slot* s
    if values == NULL:
        return -1
    for k in range(t.size):
        s = &t.slots[t.order[k]]
        values[k] = s.value
        t.order[k] = <int64_t>(s.meta & 0xFFFFFFFFULL)  # the length, until re-placed
    if n_slots == t.mask + 1:
        memset(t.slots, 0, <size_t>n_slots * sizeof(Slot))
    else:
        free(t.raw)
        t.raw = NULL
        t.slots = _new_slots(t, n_slots)
        if t.slots == NULL:
            free(values)
            t.mask = 0
            t.size = 0
            return -1
        t.mask = n_slots - 1
    for k in range(t.size):
        n = t.order[k]
        p = t.arena + offset
        head = _head(p, n)
        h = _hash(p, n, head)
        found = _table_find(t, p, n, head, h)  # a free slot: the words are distinct
        s = &t.slots[-1 - found]
        s.head = head
        s.meta = (h & 0xFFFFFFFF00000000ULL) | <uint64_t>n
        s.value = values[k]
        s.offset = offset
        t.order[k] = -1 - found
        offset += n
    free(values)
    return 0


cdef int _table_add(Table* t, const uint8_t* p, int64_t n, uint64_t head, uint64_t h,
                    int64_t found, int64_t value) noexcept nogil:
    """Add ``p[:n]`` at ``found`` (a free slot from :func:`_table_find`); return a status."""
    cdef int64_t* order
    cdef uint8_t* arena
    cdef int64_t cap
    cdef Slot* s
    if n >= <int64_t>0xFFFFFFFF or t.size >= (<int64_t>1 << 31):
        return TOO_BIG
    if t.size == t.capacity:
        cap = 2 * t.capacity
        order = <int64_t*>realloc(t.order, <size_t>cap * sizeof(int64_t))
        if order == NULL:
            return NO_MEMORY
        t.order = order
        t.capacity = cap
    if t.arena_size + n > t.arena_capacity:
        cap = 2 * t.arena_capacity
        while cap < t.arena_size + n:
            cap *= 2
        arena = <uint8_t*>realloc(t.arena, <size_t>cap + SLACK)
        if arena == NULL:
            return NO_MEMORY
        t.arena = arena
        t.arena_capacity = cap
    s = &t.slots[-1 - found]
    s.head = head
    s.meta = (h & 0xFFFFFFFF00000000ULL) | <uint64_t>n
    s.value = value
    s.offset = t.arena_size
    memcpy(t.arena + t.arena_size, p, <size_t>n)
    t.arena_size += n
    t.order[t.size] = -1 - found
    t.size += 1
    if _slots_for(t.size if not t.dense else (2 * t.size) // 3 + 1) > t.mask + 1:
        if _table_rebuild(t, 2 * (t.mask + 1)) < 0:
            return NO_MEMORY
    return OK


cdef int _table_prune(Table* t, int64_t min_reduce) noexcept nogil:
    """Drop the words whose value is at most ``min_reduce``, keeping the others' order."""
    cdef int64_t k, kept = 0, used = 0
    cdef Slot* s
    for k in range(t.size):
        s = &t.slots[t.order[k]]
        if s.value > min_reduce:
            if s.offset != used:
                memmove(t.arena + used, t.arena + s.offset, <size_t>(s.meta & 0xFFFFFFFFULL))
                s.offset = used
            used += <int64_t>(s.meta & 0xFFFFFFFFULL)
            t.order[kept] = t.order[k]
            kept += 1
    t.size = kept
    t.arena_size = used
    return 0 if _table_rebuild(t, t.mask + 1) == 0 else NO_MEMORY


cdef int64_t NO_TOKEN = -(<int64_t>1 << 62)  # _find_key: a key no token can equal


cdef int64_t _find_key(Table* t, str key, uint8_t** scratch, int64_t* n, uint64_t* head,
                       uint64_t* h) except? -1:
    """Look a vocabulary key up in ``t`` as a token of the same bytes would be: its UTF-8
    bytes go to ``scratch[0]`` (grown as needed, SLACK zero bytes after), their count to
    ``n``, their head and hash to ``head`` and ``h``. Returns :func:`_table_find`'s slot,
    or NO_TOKEN (no lookup) for a key no token can equal: empty, not UTF-8 encodable (lone
    surrogates), or ``n`` too long for a slot (>= 2**32 - 1, for the caller to report)."""
    cdef bytes raw
    cdef uint8_t* grown
    n[0] = 0
    try:
        raw = key.encode("utf-8")
    except UnicodeEncodeError:
        return NO_TOKEN
    n[0] = len(raw)
    if n[0] == 0 or n[0] >= <int64_t>0xFFFFFFFF:
        return NO_TOKEN
    grown = <uint8_t*>realloc(scratch[0], <size_t>n[0] + SLACK)
    if grown == NULL:
        raise MemoryError("out of memory for the word table")
    scratch[0] = grown
    memcpy(grown, <char*>raw, <size_t>n[0])
    memset(grown + n[0], 0, SLACK)
    head[0] = _head(grown, n[0])
    h[0] = _hash(grown, n[0], head[0])
    return _table_find(t, grown, n[0], head[0], h[0])


# --- the tokenizer ---------------------------------------------------------------------

cdef struct Event:
    int64_t start    # of the token in the buffer
    int64_t length   # 0: the current sentence ends here
    uint64_t head
    uint64_t hash
    uint8_t high     # OR of the token's bytes (>= 0x80: not plain ASCII)


cdef class Scanner:
    """Tokenizer state shared by :class:`CountScanner` and :class:`EncodeScanner`.

    Not meant to be used directly: see the module docstring for the protocol.
    """

    cdef Table table
    cdef object _buffer           # numpy uint8 array: carried bytes, then the new block
    cdef uint8_t* buf
    cdef Py_ssize_t buf_capacity  # usable bytes (SLACK more are allocated)
    cdef Py_ssize_t carry         # bytes carried over at the front of the buffer
    cdef Py_ssize_t resume        # where token scanning resumes in the carry, or -1
    cdef uint8_t resume_high      # OR of the carried token's bytes scanned so far
    cdef int64_t max_len
    cdef public int64_t max_token_bytes  # longer tokens end the scan with UNSUPPORTED; -1: none
    cdef int64_t in_sentence      # tokens of the current, unfinished sentence
    cdef Event* events
    cdef int n_events
    cdef bint counting
    cdef readonly int64_t words
    cdef readonly int64_t sentences
    # counting
    cdef int64_t max_vocab_size   # -1: unbounded
    cdef int64_t min_reduce
    cdef bint recording           # also record each token's word (see CountScanner)
    cdef int64_t record_limit     # most tokens recorded before recording stops
    # encoding (and a counting scan's record: arena offsets in ids, sentence ends in offsets)
    cdef int32_t* ids
    cdef int64_t n_ids            # ids produced so far, handed out or not
    cdef int64_t spilled          # ids already handed out by take_ids()
    cdef int64_t ids_capacity
    cdef int64_t* offsets
    cdef int64_t n_offsets
    cdef int64_t offsets_capacity

    def __cinit__(self, *args, **kwargs):
        if type(self) is Scanner:
            raise TypeError("use CountScanner or EncodeScanner")
        self.resume = -1
        self.max_token_bytes = -1
        self.events = <Event*>malloc(BATCH * sizeof(Event))
        if self.events == NULL:
            raise MemoryError()

    def __dealloc__(self):
        _table_free(&self.table)
        free(self.events)
        free(self.ids)
        free(self.offsets)

    cdef int _setup(self, int64_t max_len, int64_t expected_words) except -1:
        if max_len < 1:
            raise ValueError(f"max_sentence_length must be >= 1, got {max_len}")
        self.max_len = max_len
        self._grow(1 << 16)
        if _table_init(&self.table, expected_words) < 0:
            raise MemoryError("out of memory for the word table")
        return 0

    cdef int _grow(self, Py_ssize_t capacity) except -1:
        """Make the buffer hold at least ``capacity`` bytes, keeping the carried ones."""
        cdef uint8_t[::1] view
        if capacity <= self.buf_capacity:
            return 0
        capacity = max(capacity, 2 * self.buf_capacity)
        new = np.zeros(capacity + SLACK, dtype=np.uint8)
        view = new
        if self.carry:
            memcpy(&view[0], self.buf, <size_t>self.carry)
        self._buffer = new
        self.buf = &view[0]
        self.buf_capacity = capacity
        return 0

    def window(self, Py_ssize_t block_size) -> memoryview:
        """The writable part of the buffer the next ``block_size`` bytes go into.

        Example
        -------
        >>> scanner = CountScanner(10_000)
        >>> len(scanner.window(4096))
        4096
        """
        if block_size < 1:
            raise ValueError(f"block_size must be >= 1, got {block_size}")
        self._grow(self.carry + block_size)
        return memoryview(self._buffer)[self.carry : self.carry + block_size]

    def process(self, Py_ssize_t n) -> int:
        """Tokenize the ``n`` bytes just read into :meth:`window`; return a status.

        The status is 0, ``INVALID_UTF8`` when a token is not valid UTF-8, or
        ``UNSUPPORTED`` (see its comment); after a nonzero status the scanner is unusable.

        Example
        -------
        >>> scanner = CountScanner(10_000)
        >>> scanner.window(8)[:4] = b"a b "
        >>> scanner.process(4), scanner.words
        (0, 2)
        """
        if n < 0 or self.carry + n > self.buf_capacity:
            raise ValueError(f"cannot process {n} bytes: the window is smaller")
        return self._run(self.carry + n, False)

    def finish(self) -> int:
        """End the current file: its last token and sentence are complete; return a status.

        Example
        -------
        >>> scanner = CountScanner(10_000)
        >>> scanner.window(8)[:3] = b"a b"
        >>> scanner.process(3), scanner.words, scanner.finish(), scanner.words
        (0, 1, 0, 2)
        """
        cdef int status = self._run(self.carry, True)
        self.carry = 0
        self.resume = -1
        return status

    cdef int _run(self, Py_ssize_t end, bint final) except -1:
        cdef int status
        self._reserve(end // 2 + 2)
        with nogil:
            status = self._tokenize(end, final)
            if status == OK and final and self.in_sentence:
                self.in_sentence = 0
                status = self._end_sentence()
        if status == NO_MEMORY:
            raise MemoryError("out of memory while scanning the corpus")
        return status

    cdef int _reserve(self, int64_t tokens) except -1:
        """Make room for the ids and offsets of ``tokens`` more tokens (when encoding, or
        counting with a record: one that would pass its bounds is dropped instead)."""
        cdef int64_t cap
        cdef void* grown
        if self.counting and self.recording and (
                self.n_ids + tokens > self.record_limit
                or self.table.arena_size + tokens * 2 > RECORD_ARENA):
            self._stop_recording()
        if self.counting and not self.recording:
            return 0
        if self.n_ids - self.spilled + tokens > self.ids_capacity:
            cap = max(2 * self.ids_capacity, self.n_ids - self.spilled + tokens)
            grown = realloc(self.ids, <size_t>cap * sizeof(int32_t))
            if grown == NULL and self.counting:  # a record is a saving, not a need
                self._stop_recording()
                return 0
            if grown == NULL:
                raise MemoryError("out of memory for the encoded corpus")
            self.ids = <int32_t*>grown
            self.ids_capacity = cap
        if self.n_offsets + tokens > self.offsets_capacity:
            cap = max(2 * self.offsets_capacity, self.n_offsets + tokens)
            grown = realloc(self.offsets, <size_t>cap * sizeof(int64_t))
            if grown == NULL and self.counting:
                self._stop_recording()
                return 0
            if grown == NULL:
                raise MemoryError("out of memory for the encoded corpus")
            self.offsets = <int64_t*>grown
            self.offsets_capacity = cap
        return 0

    cdef int _start_ids(self, int64_t ids_capacity, str what) except -1:
        """Allocate the ids and sentence offsets (the first offset 0) of an encoding or a
        record; ``what`` names it in a MemoryError."""
        self.ids_capacity = ids_capacity
        self.offsets_capacity = 1 << 12
        self.ids = <int32_t*>malloc(<size_t>self.ids_capacity * sizeof(int32_t))
        self.offsets = <int64_t*>malloc(<size_t>self.offsets_capacity * sizeof(int64_t))
        if self.ids == NULL or self.offsets == NULL:
            raise MemoryError(f"out of memory for {what}")
        self.offsets[0] = 0
        self.n_offsets = 1
        return 0

    cdef tuple _hand_over(self, int64_t n_ids, int64_t n_offsets):
        """The first ``n_ids`` ids (int32) and ``n_offsets`` offsets (int64) as arrays that
        take over the buffers, shrunk to fit (no copy); the scanner keeps none."""
        cdef void* shrunk
        shrunk = realloc(self.ids, <size_t>max(n_ids, 1) * sizeof(int32_t))
        if shrunk != NULL:
            self.ids = <int32_t*>shrunk
        shrunk = realloc(self.offsets, <size_t>n_offsets * sizeof(int64_t))
        if shrunk != NULL:
            self.offsets = <int64_t*>shrunk
        ids = _adopt(self.ids, n_ids, sizeof(int32_t), "i")
        self.ids = NULL
        offsets = _adopt(self.offsets, n_offsets, sizeof(int64_t), "q")
        self.offsets = NULL
        self.ids_capacity = self.offsets_capacity = self.n_ids = self.n_offsets = 0
        return ids, offsets

    cdef void _stop_recording(self) noexcept:
        """Give up the record (the caller scans again): free its room."""
        self.recording = False
        free(self.ids)
        free(self.offsets)
        self.ids = NULL
        self.offsets = NULL
        self.n_ids = self.n_offsets = self.ids_capacity = self.offsets_capacity = 0

    cdef inline int _end_sentence(self) noexcept nogil:
        """Count a finished sentence; prune (counting) or record its end (encoding, or
        counting with a record: pruning moves the arena, so the two never meet)."""
        self.sentences += 1
        if self.counting and self.max_vocab_size >= 0:
            while self.table.size > self.max_vocab_size:
                if _table_prune(&self.table, self.min_reduce) != OK:
                    return NO_MEMORY
                self.min_reduce += 1
        if (not self.counting or self.recording) and (
                self.n_ids > self.offsets[self.n_offsets - 1]):
            self.offsets[self.n_offsets] = self.n_ids
            self.n_offsets += 1
        return OK

    cdef int _flush(self) noexcept nogil:
        """Apply the batch of events, in order."""
        cdef const uint8_t* b = self.buf
        cdef Table* t = &self.table
        cdef Event* e
        cdef int k, status
        cdef int64_t found
        for k in range(self.n_events):
            e = &self.events[k]
            if e.length == 0:
                status = self._end_sentence()
                if status != OK:
                    return status
                continue
            if e.length >= <int64_t>0xFFFFFFFF or (  # longer than a slot can record
                    self.max_token_bytes >= 0 and e.length > self.max_token_bytes):
                return TOO_BIG
            found = _table_find(t, b + e.start, e.length, e.head, e.hash)
            if found >= 0:
                if self.counting:
                    t.slots[found].value += 1
                    if self.recording:
                        self.ids[self.n_ids] = <int32_t>t.slots[found].offset
                        self.n_ids += 1
                else:
                    self.ids[self.n_ids - self.spilled] = <int32_t>t.slots[found].value
                    self.n_ids += 1
                continue
            if e.high & 0x80 and not _valid_utf8(b + e.start, e.length):
                return BAD_UTF8
            if self.counting:
                if self.recording:  # the new word's bytes go to the arena's end
                    self.ids[self.n_ids] = <int32_t>t.arena_size
                    self.n_ids += 1
                status = _table_add(t, b + e.start, e.length, e.head, e.hash, found, 1)
                if status != OK:
                    return status
        self.n_events = 0
        return OK

    cdef inline int _add_token(self, Py_ssize_t start, Py_ssize_t end, uint8_t high) noexcept nogil:
        """Queue the token ``buf[start:end]`` (and a sentence end if it completes one)."""
        cdef Event* e = &self.events[self.n_events]
        cdef int64_t n = end - start
        e.start = start
        e.length = n
        e.head = _head(self.buf + start, n)
        e.hash = _hash(self.buf + start, n, e.head)
        e.high = high
        W2V_PREFETCH(&self.table.slots[(e.hash >> 32) & self.table.mask])
        self.n_events += 1
        self.words += 1
        self.in_sentence += 1
        if self.in_sentence == self.max_len:
            self.in_sentence = 0
            self.events[self.n_events].length = 0
            self.n_events += 1
        if self.n_events >= BATCH - 1:
            return self._flush()
        return OK

    cdef inline int _stop(self, Py_ssize_t start, Py_ssize_t end, Py_ssize_t resume,
                          uint8_t high) noexcept nogil:
        """Apply the batch, then carry ``buf[start:end]`` over to the next block."""
        cdef int status = self._flush()
        if resume >= 0 and self.max_token_bytes >= 0 and end - start > self.max_token_bytes:
            return TOO_BIG  # an unfinished token already too long: carry no more of it
        if start:
            memmove(self.buf, self.buf + start, <size_t>(end - start))
        self.carry = end - start
        self.resume = resume
        self.resume_high = high
        return status

    cdef int _tokenize(self, Py_ssize_t end, bint final) noexcept nogil:
        """Tokenize ``buf[:end]``; unless ``final``, carry an unfinished token over."""
        cdef const uint8_t* b = self.buf
        cdef Py_ssize_t i = 0, start = 0
        cdef uint8_t c, high = 0, kind
        cdef uint64_t word
        cdef int length, status
        cdef bint in_token = False
        if self.resume >= 0:
            in_token = True
            i = self.resume
            high = self.resume_high
        while True:
            if not in_token:
                while i < end:  # skip whitespace, ending lines
                    kind = BYTE_CLASS[b[i]]
                    if kind == TOKEN_BYTE:
                        break
                    if kind == SPACE_BYTE:
                        i += 1
                    elif kind == NEWLINE_BYTE:
                        i += 1
                        if self.in_sentence:
                            self.in_sentence = 0
                            self.events[self.n_events].length = 0
                            self.n_events += 1
                            if self.n_events >= BATCH - 1:
                                status = self._flush()
                                if status != OK:
                                    return status
                    else:
                        length = _space_length(b, i, end)
                        if length > 0:
                            i += length
                        elif length == 0 or final:
                            break
                        else:
                            return self._stop(i, end, -1, 0)
                if i >= end:
                    return self._stop(end, end, -1, 0)
                start = i
                high = 0
            while i < end:  # the token's bytes
                # skip 8 bytes at a time while they are all in 0x21-0x7F (token bytes)
                word = _load(b + i)
                word = ((word - 0x2121212121212121ULL) | word) & 0x8080808080808080ULL
                if word == 0:
                    i += 8
                    continue
                i += w2v_first_byte(word)
                if i >= end:
                    break
                c = b[i]
                kind = BYTE_CLASS[c]
                if kind == TOKEN_BYTE:
                    high |= c if c else 0x80  # NUL: have the token validated (refused)
                    i += 1
                    continue
                if kind == LEAD_BYTE:
                    length = _space_length(b, i, end)
                    if length == 0 or (length < 0 and final):
                        high |= c
                        i += 1
                        continue
                    if length < 0:
                        return self._stop(start, end, i - start, high)
                break
            if i > end:  # the 8-byte steps read into the slack
                i = end
            if i >= end and not final:
                return self._stop(start, end, i - start, high)
            in_token = False
            status = self._add_token(start, i, high)
            if status != OK:
                return status


cdef class CountScanner(Scanner):
    """Counts words like :func:`w2v.data.vocab.count_words`, pruning past ``max_vocab_size``.

    Parameters
    ----------
    max_len : int
        Sentence length (``PathCorpus.max_sentence_length``).
    max_vocab_size : int
        Bound on distinct words kept during the scan; -1 for none.
    record_limit : int
        With no bound on the words (``max_vocab_size=-1``), also record which word each
        token is and where sentences end, for up to this many tokens (4 bytes each), so
        that :meth:`encoded` can give the corpus's encoding once the vocabulary is known,
        without a second scan. A longer corpus (or one of more than 32 MiB of distinct
        words) drops the record on the way and ``recorded`` turns false. 0: no record.

    Example
    -------
    >>> scanner = CountScanner(10_000, record_limit=100)
    >>> scanner.window(16)[:7] = b"a b\\na\\n\\n"
    >>> scanner.process(7), scanner.finish()
    (0, 0)
    >>> scanner.counts(), scanner.words, scanner.sentences
    ({'a': 2, 'b': 1}, 3, 2)
    >>> [a.tolist() for a in scanner.encoded({"a": 0})]
    [[0, 0], [0, 1, 2]]
    """

    def __init__(self, int64_t max_len, int64_t max_vocab_size=-1,
                 int64_t record_limit=0) -> None:
        self._setup(max_len, 0)
        self.counting = True
        self.max_vocab_size = max_vocab_size
        self.min_reduce = 1
        if record_limit > 0 and max_vocab_size < 0:
            self.record_limit = record_limit
            self._start_ids(1 << 16, "the corpus's record")
            self.recording = True

    @property
    def recorded(self) -> bool:
        """Whether :meth:`encoded` can give this scan's encoding (see ``record_limit``)."""
        return self.recording

    def encoded(self, dict key_to_index) -> tuple:
        """The scanned corpus encoded with ``key_to_index`` (word -> int32 id), as
        :class:`EncodeScanner` would encode it: ``(ids, offsets)``, the tokens of other
        words dropped, and the sentences this leaves empty. Callable once, on a scan with
        a record (see ``recorded``); the record's room becomes the ids (no copy).

        Example
        -------
        >>> CountScanner(10, record_limit=1).encoded({})
        (array([], dtype=int32), array([0]))
        """
        cdef int64_t n, found, r = 0, w = 0, kept = 1, s, end
        cdef uint64_t head, h
        cdef int32_t[::1] by_offset
        cdef int32_t word
        cdef uint8_t* scratch = NULL
        if not self.recording:
            raise RuntimeError("this scan kept no record (or handed it over already)")
        for key, index in key_to_index.items():
            if not isinstance(key, str) or not isinstance(index, int):
                raise TypeError("vocabulary keys must be str and ids int")
            if not 0 <= index < (1 << 31):
                raise ValueError(f"word id {index} is not in 0 .. 2**31 - 1")
        # each word's id by the offset of its bytes in the arena, where its tokens point
        table = np.full(self.table.arena_size + 1, -1, dtype=np.int32)
        by_offset = table
        try:
            for key, index in key_to_index.items():  # NO_TOKEN and free slots: no token
                found = _find_key(&self.table, key, &scratch, &n, &head, &h)
                if found >= 0:
                    by_offset[self.table.slots[found].offset] = <int32_t>index
        finally:
            free(scratch)
        with nogil:  # in place: each sentence's kept ids move down, empty ones vanish
            for s in range(1, self.n_offsets):
                end = self.offsets[s]
                while r < end:
                    word = by_offset[self.ids[r]]
                    if word >= 0:
                        self.ids[w] = word
                        w += 1
                    r += 1
                if w > self.offsets[kept - 1]:
                    self.offsets[kept] = w
                    kept += 1
        if r != self.n_ids:
            raise RuntimeError(f"the record ends at token {r} of {self.n_ids}")
        self.recording = False
        return self._hand_over(w, kept)

    def counts(self, object into=None, int64_t min_count=0) -> object:
        """The distinct words (decoded) and their counts, in order of first appearance.

        Fills and returns ``into`` (a dict, e.g. a Counter) if given, else a new dict.
        Words counted fewer than ``min_count`` times are left out (never decoded).

        Example
        -------
        >>> CountScanner(10).counts()
        {}
        """
        cdef Table* t = &self.table
        cdef int64_t k
        cdef Slot* s
        result = {} if into is None else into
        if not isinstance(result, dict):
            raise TypeError(f"into must be a dict, got {type(result).__name__}")
        for k in range(t.size):
            if k + 16 < t.size:
                W2V_PREFETCH(&t.slots[t.order[k + 16]])
            s = &t.slots[t.order[k]]
            if s.value < min_count:
                continue
            word = PyUnicode_DecodeUTF8(
                <char*>t.arena + s.offset, <Py_ssize_t>(s.meta & 0xFFFFFFFFULL), NULL
            )
            PyDict_SetItem(result, word, s.value)
        return result


cdef class EncodeScanner(Scanner):
    """Encodes tokens as int32 ids like :func:`w2v.data.encoding.encode_corpus`.

    Parameters
    ----------
    max_len : int
        Sentence length (``PathCorpus.max_sentence_length``).
    key_to_index : dict
        Word -> id; raises :class:`Unsupported` unless every key is a ``str`` and every
        id an ``int`` in the int32 range. Keys no token can equal are left out: the
        empty string, and strings that cannot be UTF-8 encoded (lone surrogates).

    Example
    -------
    >>> scanner = EncodeScanner(10_000, {"a": 0, "b": 1})
    >>> scanner.window(16)[:9] = b"a x b\\nx\\na"
    >>> scanner.process(9), scanner.finish()
    (0, 0)
    >>> ids, offsets = scanner.result()
    >>> ids.tolist(), offsets.tolist(), scanner.words
    ([0, 1, 0], [0, 2, 3], 5)
    """

    def __init__(self, int64_t max_len, object key_to_index, int64_t expected_ids=0) -> None:
        cdef uint8_t* scratch = NULL
        cdef int64_t n, found
        cdef uint64_t head, h
        cdef int status
        for key, index in key_to_index.items():
            if not isinstance(key, str) or not isinstance(index, int):
                raise Unsupported("vocabulary keys must be str and ids int")
            if not -(1 << 31) <= index < (1 << 31):
                raise Unsupported(f"word id {index} does not fit in int32")
        self._setup(max_len, len(key_to_index))
        self.counting = False
        try:
            for key, index in key_to_index.items():
                found = _find_key(&self.table, key, &scratch, &n, &head, &h)
                if found == NO_TOKEN:
                    if n >= <int64_t>0xFFFFFFFF:
                        raise Unsupported("a vocabulary word is too long for the word table")
                    continue
                if found < 0:
                    status = _table_add(&self.table, scratch, n, head, h, found, index)
                    if status == TOO_BIG:
                        raise Unsupported("vocabulary too large for the word table")
                    if status != OK:
                        raise MemoryError("out of memory for the word table")
        finally:
            free(scratch)
        # room for the expected ids at once: growing by doubling leaves the freed
        # smaller buffers resident in the C heap
        self._start_ids(max(1 << 16, min(expected_ids, 1 << 40)), "the encoded corpus")

    @property
    def pending(self) -> int:
        """Ids produced and not yet handed out by :meth:`take_ids`."""
        return self.n_ids - self.spilled

    def take_ids(self):
        """Hand out (as a new int32 array) the ids produced since the last call, and free
        their room, so a corpus larger than memory can be written out as it is encoded.
        Sentence offsets keep counting from the first id.

        Example
        -------
        >>> EncodeScanner(10, {}).take_ids()
        array([], dtype=int32)
        """
        cdef int64_t n = self.n_ids - self.spilled
        if self.offsets == NULL:
            raise RuntimeError("the result was handed over already")
        out = np.empty(n, dtype=np.int32)
        cdef int32_t[::1] view = out
        if n:
            memcpy(&view[0], self.ids, <size_t>n * sizeof(int32_t))
        self.spilled = self.n_ids
        return out

    def result(self) -> tuple:
        """Hand over the ids (int32) and sentence offsets (int64): callable once.

        The arrays take over the scanner's buffers (no copy); afterwards the scanner
        is spent.

        Example
        -------
        >>> EncodeScanner(10, {}).result()
        (array([], dtype=int32), array([0]))
        """
        if self.offsets == NULL:
            raise RuntimeError("the result was handed over already")
        return self._hand_over(self.n_ids - self.spilled, self.n_offsets)


cdef object _adopt(void* data, int64_t n, size_t itemsize, str fmt):
    """A numpy array over ``data[:n]`` (malloc'd) that frees it when collected."""
    cdef cython_view.array owner
    dtype = np.int32 if fmt == "i" else np.int64
    if n == 0:
        free(data)
        return np.empty(0, dtype=dtype)
    owner = cython_view.array(
        shape=(n,), itemsize=itemsize, format=fmt, mode="c", allocate_buffer=False
    )
    owner.data = <char*>data
    owner.callback_free_data = free
    return np.asarray(owner).view(dtype)  # "q" may not be numpy's canonical int64


# --- phrases: unigram and bigram counts, and rewriting text with phrases joined ---------

cdef enum:
    SCORE_WORD2PHRASE = 0
    SCORE_DEFAULT = 1
    SCORE_NPMI = 2

cdef extern from "<math.h>" nogil:
    double log(double x)
    const double INFINITY

cdef extern from "<string.h>" nogil:
    void* memchr(const void* s, int c, size_t n)


cdef class PhraseScanner(Scanner):
    """Counts unigrams and bigrams like :meth:`w2v.data.phrases.Phrases.add_vocab` (without
    connector words), in one table of byte strings, and rewrites text with phrases joined
    like :meth:`~w2v.data.phrases.Phrases.transform_file`.

    A bigram is counted under ``a + delimiter + b``, as the unigrams are, in the same table
    (so a token that contains the delimiter shares its count with a bigram, as in the Python
    counter); pruning past ``max_vocab_size`` after each sentence uses the words' rule.

    Parameters
    ----------
    max_len : int
        Sentence length (``PathCorpus.max_sentence_length``).
    delimiter : bytes
        Joins the two words of a bigram key (UTF-8).
    across : bool
        Count bigrams across sentence ends too (word2phrase reads its file as one stream).
    cut : bool
        Cut words to 58 bytes and bigram keys to 59, as word2phrase.c does.
    max_vocab_size : int
        Bound on the entries kept; -1 for none.
    min_reduce : int
        The count at or under which the first pruning drops entries (one more each time).

    Example
    -------
    >>> scanner = PhraseScanner(10_000, b"_")
    >>> scanner.window(16)[:8] = b"a b\\na b\\n"
    >>> scanner.process(8), scanner.finish()
    (0, 0)
    >>> dict(scanner.items()), scanner.words
    ({'a': 2, 'b': 2, 'a_b': 2}, 4)
    """

    cdef bytes delimiter
    cdef uint8_t* delim           # its bytes, for code without the GIL
    cdef int64_t dlen
    cdef bint across
    cdef bint cut
    cdef uint8_t* prev            # the previous token (cut), for the next bigram
    cdef int64_t prev_len         # -1: none
    cdef int64_t prev_cap
    cdef uint8_t* key             # scratch for keys (+ SLACK)
    cdef int64_t key_cap
    cdef readonly int64_t inside  # tokens containing the delimiter
    # rewriting
    cdef bint have_prev           # the previous output token may start a phrase
    cdef int64_t prev_count       # its count
    cdef uint8_t* out
    cdef int64_t out_cap
    # a batch's bigram keys (offset in self.key, -1: none), lengths and hashes
    cdef int64_t bigram_at[BATCH]
    cdef int64_t bigram_len[BATCH]
    cdef uint64_t bigram_head[BATCH]
    cdef uint64_t bigram_hash[BATCH]
    # rewriting: a batch's tokens (start in the buffer, -1: a newline), lengths and hashes
    cdef int64_t tok_start[BATCH]
    cdef int64_t tok_len[BATCH]
    cdef uint64_t tok_head[BATCH]
    cdef uint64_t tok_hash[BATCH]

    def __init__(self, int64_t max_len, bytes delimiter, bint across=False, bint cut=False,
                 int64_t max_vocab_size=-1, int64_t min_reduce=1) -> None:
        if not delimiter:
            raise ValueError("delimiter must not be empty")
        self._setup(max_len, 0)
        self.table.dense = True
        self.counting = True
        self.max_vocab_size = max_vocab_size
        self.min_reduce = min_reduce
        self.delimiter = delimiter
        self.dlen = len(delimiter)
        self.delim = <uint8_t*>malloc(<size_t>self.dlen)
        if self.delim == NULL:
            raise MemoryError()
        memcpy(self.delim, <char*>delimiter, <size_t>self.dlen)
        self.across = across
        self.cut = cut
        self.prev_len = -1

    def __dealloc__(self):
        free(self.delim)
        free(self.prev)
        free(self.key)
        free(self.out)

    cdef int _room(self, uint8_t** p, int64_t* cap, int64_t n) noexcept nogil:
        """Make ``p`` hold ``n`` bytes (+ SLACK)."""
        cdef void* grown
        if n <= cap[0]:
            return OK
        grown = realloc(p[0], <size_t>(2 * n + SLACK))
        if grown == NULL:
            return NO_MEMORY
        p[0] = <uint8_t*>grown
        cap[0] = 2 * n
        return OK

    cdef inline int64_t _cut_word(self, int64_t n) noexcept nogil:
        return 58 if self.cut and n > 58 else n

    cdef int _bump(self, const uint8_t* p, int64_t n, int64_t by) noexcept nogil:
        """Add ``by`` to the count of ``p[:n]`` (``p`` has SLACK readable bytes after)."""
        cdef uint64_t head = _head(p, n)
        cdef uint64_t h = _hash(p, n, head)
        cdef int64_t found = _table_find(&self.table, p, n, head, h)
        if found >= 0:
            self.table.slots[found].value += by
            return OK
        return _table_add(&self.table, p, n, head, h, found, by)

    cdef inline int64_t _queue_bigram(self, int k, int64_t used, const uint8_t* a, int64_t na,
                                      const uint8_t* b, int64_t nb) noexcept nogil:
        """Write the key of ``a b`` at ``self.key + used`` (room already made), record it as
        the batch's bigram ``k``, hash it and prefetch its slot; return the next free
        offset (SLACK readable bytes left after the key)."""
        cdef int64_t kn = na + self.dlen + nb
        memcpy(self.key + used, a, <size_t>na)
        memcpy(self.key + used + na, self.delim, <size_t>self.dlen)
        memcpy(self.key + used + na + self.dlen, b, <size_t>nb)
        self.bigram_at[k] = used
        self.bigram_len[k] = 59 if self.cut and kn > 59 else kn
        self.bigram_head[k] = _head(self.key + used, self.bigram_len[k])
        self.bigram_hash[k] = _hash(self.key + used, self.bigram_len[k], self.bigram_head[k])
        W2V_PREFETCH(&self.table.slots[(self.bigram_hash[k] >> 32) & self.table.mask])
        return used + kn + SLACK

    cdef int _flush(self) noexcept nogil:
        """Count the batch's tokens and the bigrams they end, in order: the bigram keys are
        built and hashed first (their slots prefetched), then counted."""
        cdef const uint8_t* b = self.buf
        cdef const uint8_t* p
        cdef const uint8_t* d = self.delim
        cdef const uint8_t* a
        cdef Event* e
        cdef int k, status
        cdef int64_t n, na, kn, found, used = 0, total = 0
        cdef bint fresh
        # pass 1: the keys, one after the other in self.key, and their hashes
        a = self.prev
        na = self.prev_len
        for k in range(self.n_events):
            e = &self.events[k]
            if e.length == 0:
                if not self.across:
                    na = -1
                continue
            n = self._cut_word(e.length)
            if na >= 0:
                total += na + self.dlen + n + SLACK
            a = b + e.start
            na = n
        if self._room(&self.key, &self.key_cap, total) != OK:
            return NO_MEMORY
        a = self.prev
        na = self.prev_len
        for k in range(self.n_events):
            e = &self.events[k]
            self.bigram_at[k] = -1
            if e.length == 0:
                if not self.across:
                    na = -1
                continue
            n = self._cut_word(e.length)
            if na >= 0:
                used = self._queue_bigram(k, used, a, na, b + e.start, n)
            a = b + e.start
            na = n
        # pass 2: count, in order
        for k in range(self.n_events):
            e = &self.events[k]
            if e.length == 0:
                if not self.across:
                    self.prev_len = -1
                status = self._end_sentence()
                if status != OK:
                    return status
                continue
            if e.length >= <int64_t>0xFFFFFFFF or (
                    self.max_token_bytes >= 0 and e.length > self.max_token_bytes):
                return TOO_BIG
            p = b + e.start
            n = e.length
            # a token with the delimiter in it (the Python counter warns about them)
            if n >= self.dlen and memchr(p, d[0], <size_t>n) != NULL:
                if self.dlen == 1 or _contains(p, n, d, self.dlen):
                    self.inside += 1
            if n > 58 and self.cut:
                # cut entries may not be valid UTF-8: check every long token itself
                if e.high & 0x80 and not _valid_utf8(p, n):
                    return BAD_UTF8
                n = 58
                status = self._bump(p, n, 1)
            else:
                found = _table_find(&self.table, p, n, e.head, e.hash)
                fresh = found < 0
                if not fresh:
                    self.table.slots[found].value += 1
                if fresh or self.cut:  # (a cut entry matched is no proof of validity)
                    if e.high & 0x80 and not _valid_utf8(p, n):
                        return BAD_UTF8
                status = _table_add(&self.table, p, n, e.head, e.hash, found, 1) \
                    if fresh else OK
            if status != OK:
                return status
            if self.bigram_at[k] >= 0:
                kn = self.bigram_len[k]
                found = _table_find(&self.table, self.key + self.bigram_at[k], kn,
                                    self.bigram_head[k], self.bigram_hash[k])
                if found >= 0:
                    self.table.slots[found].value += 1
                else:
                    status = _table_add(&self.table, self.key + self.bigram_at[k], kn,
                                        self.bigram_head[k], self.bigram_hash[k], found, 1)
                    if status != OK:
                        return status
            self.prev_len = n
        # the batch's last token, for the next batch's first bigram
        for k in range(self.n_events - 1, -1, -1):
            e = &self.events[k]
            if e.length == 0:
                if not self.across:
                    break
                continue
            n = self._cut_word(e.length)
            if self._room(&self.prev, &self.prev_cap, n) != OK:
                return NO_MEMORY
            memcpy(self.prev, b + e.start, <size_t>n)
            self.prev_len = n
            break
        self.n_events = 0
        return OK

    @property
    def min_reduce(self) -> int:
        """The count at or under which the next pruning drops entries."""
        return self.min_reduce

    def __len__(self) -> int:
        return self.table.size

    cdef int64_t _lookup(self, const uint8_t* p, int64_t n) noexcept nogil:
        """The count of ``p[:n]`` (SLACK readable bytes after it), 0 if absent."""
        cdef uint64_t head = _head(p, n)
        cdef int64_t found = _table_find(&self.table, p, n, head, _hash(p, n, head))
        return self.table.slots[found].value if found >= 0 else 0

    cdef int _scratch(self, str key) except -1:
        """Copy ``key`` (UTF-8, surrogateescape) into ``self.key``; return its length."""
        cdef bytes raw = key.encode("utf-8", "surrogateescape")
        cdef int64_t n = len(raw)
        if self._room(&self.key, &self.key_cap, n) != OK:
            raise MemoryError()
        memcpy(self.key, <char*>raw, <size_t>n)
        return <int>n

    def get(self, str key, default=0):
        """The count of ``key`` (a unigram or joined bigram), or ``default``.

        Example
        -------
        >>> scanner = PhraseScanner(10, b"_")
        >>> scanner.get("a"), scanner.get("a", None)
        (0, None)
        """
        cdef int n = self._scratch(key)
        cdef int64_t count = self._lookup(self.key, n)
        return count if count else default

    def __getitem__(self, str key) -> int:
        return self.get(key, 0)

    def __contains__(self, object key) -> bool:
        return isinstance(key, str) and self.get(key, None) is not None

    def items(self):
        """``(key, count)`` pairs in order of first appearance (keys decoded as UTF-8 with
        surrogateescape: a cut key may end inside a character)."""
        cdef Table* t = &self.table
        cdef int64_t k
        cdef Slot* s
        for k in range(t.size):
            s = &t.slots[t.order[k]]
            if s.value <= 0:
                continue
            yield (PyUnicode_DecodeUTF8(<char*>t.arena + s.offset,
                                        <Py_ssize_t>(s.meta & 0xFFFFFFFFULL),
                                        "surrogateescape"), s.value)

    def keys(self):
        """The keys, in order of first appearance."""
        for key, _ in self.items():
            yield key

    def __iter__(self):
        return self.keys()

    def add(self, str key, int64_t count) -> None:
        """Add ``count`` (may be negative) to ``key``; entries left at 0 or less are
        dropped (as ``del counter[key]`` would), keeping the others' order.

        Example
        -------
        >>> scanner = PhraseScanner(10, b"_")
        >>> scanner.add("a", 2); scanner.add("b", 1); scanner.add("b", -1)
        >>> dict(scanner.items()), len(scanner)
        ({'a': 2}, 1)
        """
        cdef int n = self._scratch(key)
        cdef uint64_t head = _head(self.key, n)
        cdef uint64_t h = _hash(self.key, n, head)
        cdef int64_t found = _table_find(&self.table, self.key, n, head, h)
        if found >= 0:
            self.table.slots[found].value += count
            if self.table.slots[found].value <= 0:
                if _table_prune(&self.table, 0) != OK:
                    raise MemoryError()
        elif count > 0:
            if _table_add(&self.table, self.key, n, head, h, found, count) != OK:
                raise MemoryError()

    def passing(self, int scoring, double threshold, int64_t min_count, int64_t corpus_words,
                int64_t low):
        """The bigrams that pass, as ``({key: score}, [keys to score in Python])``.

        Every entry counted at least ``low`` times with the delimiter in it once is split
        there and scored here; keys with it more than once are returned for the caller.
        With ``cut``, keys of 59 bytes or more are skipped (they may have been cut).
        """
        cdef Table* t = &self.table
        cdef int64_t k, n, i, count_a, count_b
        cdef Slot* s
        cdef const uint8_t* p
        cdef const uint8_t* d = self.delim
        cdef const uint8_t* hit
        cdef double score
        cdef bint ok
        found = {}
        unclear = []
        for k in range(t.size):
            s = &t.slots[t.order[k]]
            n = <int64_t>(s.meta & 0xFFFFFFFFULL)
            if s.value < low or n <= self.dlen or (self.cut and n >= 59):
                continue
            p = t.arena + s.offset
            hit = _find(p, n, d, self.dlen)
            if hit == NULL:
                continue
            i = hit - p
            if _find(hit + self.dlen, n - i - self.dlen, d, self.dlen) != NULL:
                unclear.append(PyUnicode_DecodeUTF8(<char*>p, <Py_ssize_t>n, "surrogateescape"))
                continue
            if i == 0 or i + self.dlen == n:
                continue
            # the words' bytes, each with SLACK readable after it, from the key scratch
            if self._room(&self.key, &self.key_cap, n) != OK:
                raise MemoryError()
            memcpy(self.key, p, <size_t>n)
            count_a = self._lookup(self.key, i)
            memmove(self.key, self.key + i + self.dlen, <size_t>(n - i - self.dlen))
            count_b = self._lookup(self.key, n - i - self.dlen)
            score = _score(scoring, count_a, count_b, s.value, t.size, min_count,
                           corpus_words, &ok)
            if ok and _passes(scoring, score, threshold):
                PyDict_SetItem(found, PyUnicode_DecodeUTF8(<char*>p, <Py_ssize_t>n,
                                                           "surrogateescape"), score)
        return found, unclear

    def rewrite_start(self) -> None:
        """Start rewriting a new file (no phrase spans two files)."""
        self.have_prev = False

    cdef int _rewrite_batch(self, const uint8_t* s, int64_t n, int64_t* at, int64_t* written,
                            int64_t* words, int scoring, double threshold, int64_t min_count,
                            int64_t corpus_words) noexcept nogil:
        """Rewrite up to BATCH tokens of ``s[at:n]``: find them and their bigram keys, hash
        both and prefetch their slots, then decide each join in order."""
        cdef const uint8_t* d = self.delim
        cdef int64_t i = at[0], m = written[0], nb = 0, start, tn, used = 0, k
        cdef int64_t count_b, count_ab
        cdef int64_t found
        cdef const uint8_t* a = self.prev if self.have_prev else NULL
        cdef int64_t na = self.prev_len
        cdef uint8_t c
        cdef double score
        cdef bint ok, joined
        if self._room(&self.key, &self.key_cap,
                      BATCH * (2 * 59 + self.dlen + SLACK) + (0 if a == NULL else na)) != OK:
            return NO_MEMORY
        while i < n and nb < BATCH:
            c = s[i]
            if c == 32 or c == 9:
                i += 1
                continue
            if c == 10:
                self.tok_start[nb] = -1
                nb += 1
                a = NULL
                i += 1
                continue
            start = i
            while i < n and s[i] != 32 and s[i] != 9 and s[i] != 10:
                i += 1
            tn = i - start
            if self.cut and tn > 58:
                tn = 58
            self.tok_start[nb] = start
            self.tok_len[nb] = tn
            self.tok_head[nb] = _head(s + start, tn)
            self.tok_hash[nb] = _hash(s + start, tn, self.tok_head[nb])
            W2V_PREFETCH(&self.table.slots[(self.tok_hash[nb] >> 32) & self.table.mask])
            self.bigram_at[nb] = -1
            if a != NULL:
                if self._room(&self.key, &self.key_cap, used + na + self.dlen + tn + SLACK) != OK:
                    return NO_MEMORY
                used = self._queue_bigram(nb, used, a, na, s + start, tn)
            a = s + start
            na = tn
            nb += 1
        for k in range(nb):
            start = self.tok_start[k]
            if start < 0:
                self.out[m] = 10
                m += 1
                self.have_prev = False
                continue
            words[0] += 1
            tn = self.tok_len[k]
            found = _table_find(&self.table, s + start, tn, self.tok_head[k], self.tok_hash[k])
            count_b = self.table.slots[found].value if found >= 0 else 0
            joined = False
            if self.have_prev:
                found = _table_find(&self.table, self.key + self.bigram_at[k], self.bigram_len[k],
                                    self.bigram_head[k], self.bigram_hash[k])
                count_ab = self.table.slots[found].value if found >= 0 else 0
                score = _score(scoring, self.prev_count, count_b, count_ab,
                               self.table.size, min_count, corpus_words, &ok)
                joined = ok and _passes(scoring, score, threshold)
            if joined:
                memcpy(self.out + m, d, <size_t>self.dlen)
                m += self.dlen
                self.have_prev = False
            else:
                self.out[m] = 32
                m += 1
                self.prev_count = count_b
                self.have_prev = True
            memcpy(self.out + m, s + start, <size_t>tn)
            m += tn
        # the last token, if it may start a phrase with the next batch's first
        if self.have_prev and nb:
            k = nb - 1
            if self._room(&self.prev, &self.prev_cap, self.tok_len[k]) != OK:
                return NO_MEMORY
            memcpy(self.prev, s + self.tok_start[k], <size_t>self.tok_len[k])
            self.prev_len = self.tok_len[k]
        at[0] = i
        written[0] = m
        return OK

    def rewrite(self, const uint8_t[::1] data, int scoring, double threshold,
                int64_t min_count, int64_t corpus_words):
        """Rewrite ``data`` (whole tokens: the caller carries a token cut by the block's end)
        as :meth:`~w2v.data.phrases.Phrases.transform_file` writes it; return ``(bytes,
        tokens read)``. Tokens are separated by space, tab and newline only, ``\\r`` is
        dropped, each token is written after a space or, joined, after the delimiter.

        Example
        -------
        >>> scanner = PhraseScanner(10, b"_")
        >>> for word in ("a", "b", "a_b", "a_b"): scanner.add(word, 5)
        >>> scanner.rewrite_start()
        >>> scanner.rewrite(b"a b c\\n\\n", 1, 1.0, 0, 4)
        (b' a_b c\\n\\n', 3)
        """
        cdef int64_t n = data.shape[0], i = 0, j = 0, m = 0, words = 0, cap
        cdef uint8_t* s
        cdef int64_t dlen = self.dlen
        cdef int status = OK
        # the block without its \r bytes, in the buffer (SLACK readable after each token)
        self._grow(n + 1)
        s = self.buf
        with nogil:
            for i in range(n):
                if data[i] != 13:
                    s[j] = data[i]
                    j += 1
            n = j
            cap = n * (dlen + 1) + 16
            status = self._room(&self.out, &self.out_cap, cap)
            i = 0
            while status == OK and i < n:
                status = self._rewrite_batch(s, n, &i, &m, &words, scoring, threshold,
                                             min_count, corpus_words)
        if status != OK:
            raise MemoryError("out of memory while rewriting the corpus")
        return (<char*>self.out)[:m], words


cdef const uint8_t* _find(const uint8_t* p, int64_t n, const uint8_t* d,
                          int64_t dlen) noexcept nogil:
    """The first occurrence of ``d[:dlen]`` in ``p[:n]``, or NULL."""
    cdef const uint8_t* hit
    cdef const uint8_t* end = p + n
    while end - p >= dlen:
        hit = <const uint8_t*>memchr(p, d[0], <size_t>(end - p - dlen + 1))
        if hit == NULL:
            return NULL
        if dlen == 1 or memcmp(hit, d, <size_t>dlen) == 0:
            return hit
        p = hit + 1
    return NULL


cdef inline bint _contains(const uint8_t* p, int64_t n, const uint8_t* d,
                           int64_t dlen) noexcept nogil:
    return _find(p, n, d, dlen) != NULL


cdef inline double _score(int scoring, int64_t a, int64_t b, int64_t ab, int64_t len_vocab,
                          int64_t min_count, int64_t total, bint* ok) noexcept nogil:
    """A bigram's score, as :mod:`w2v.data.phrases` computes it (``ok`` False: no score)."""
    cdef float s
    cdef double x, y
    ok[0] = True
    if scoring == SCORE_WORD2PHRASE:
        if a < min_count or b < min_count or ab < min_count:
            ok[0] = False
            return 0.0
        s = <float>(ab - min_count) / <float>a  # float32, as word2phrase.c computes it
        s = s / <float>b
        s = s * <float>total
        return s
    if a <= 0 or b <= 0 or ab <= 0:
        ok[0] = False
        return 0.0
    if scoring == SCORE_DEFAULT:
        return <double>(ab - min_count) / (<double>a * <double>b) * <double>len_vocab
    if ab < min_count or total == 0:
        return -INFINITY
    x = <double>ab / <double>total
    y = -log(x)
    if y == 0.0:
        return -INFINITY
    return log(x / ((<double>a / <double>total) * (<double>b / <double>total))) / y


cdef inline bint _passes(int scoring, double score, double threshold) noexcept nogil:
    if scoring == SCORE_WORD2PHRASE:
        return <float>score > <float>threshold
    return score > threshold
