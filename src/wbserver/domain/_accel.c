/* Optional accelerator for history, built by setup.py where a C compiler is found. Without
   it wbserver takes pure-Python paths that give the same results.

   numeric_rows(lines), for ingest (history_columns.py), reads a list of JSON lines in which every value is a plain number, the
   rows a training loop logs: {"loss": 0.25, "_step": 3, "_runtime": 1.5}. It returns
   (keys, values, kinds): the keys in the order first seen, and two row-major n x len(keys)
   matrices as bytes, float64 values and one kind byte a cell (0: the row lacks the key,
   1: a float, 2: an int). Anything else makes it return None: a string, a nested object,
   true, null, NaN, a key with an escape, an int of 2**53 or more, a line that is not strict
   JSON, or rows so sparse that the matrices would be mostly empty. The caller then takes its
   pure-Python path, which decides and explains; so this never accepts a line that path
   would refuse, and it never has to word an error. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define MAX_KEYS 1024
#define TABLE_SIZE 2048 /* a power of two, at least twice MAX_KEYS */
#define MAX_NUMBER 64   /* characters of one number */
#define INT_LIMIT 9007199254740992LL /* 2**53: larger ints take the Python path */

typedef struct {
    const char *name;
    Py_ssize_t len;
    uint64_t hash;
    int index; /* -1: free slot */
} Slot;

typedef struct {
    int32_t row;
    int32_t key;
    double value;
    unsigned char kind;
} Cell;

typedef struct {
    Slot table[TABLE_SIZE];
    const char *names[MAX_KEYS];
    Py_ssize_t lens[MAX_KEYS];
    int nkeys;
    Cell *cells;
    Py_ssize_t ncells, cap;
} Parse;

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static const char *skip_space(const char *p, const char *end)
{
    while (p < end && is_space(*p))
        p++;
    return p;
}

static int key_index(Parse *st, const char *name, Py_ssize_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (Py_ssize_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)name[i]) * 1099511628211ULL;
    size_t at = (size_t)h & (TABLE_SIZE - 1);
    for (;;) {
        Slot *s = &st->table[at];
        if (s->index < 0) {
            if (st->nkeys >= MAX_KEYS)
                return -1;
            s->name = name;
            s->len = len;
            s->hash = h;
            s->index = st->nkeys;
            st->names[st->nkeys] = name;
            st->lens[st->nkeys] = len;
            return st->nkeys++;
        }
        if (s->hash == h && s->len == len && memcmp(s->name, name, (size_t)len) == 0)
            return s->index;
        at = (at + 1) & (TABLE_SIZE - 1);
    }
}

static int add_cell(Parse *st, int32_t row, int key, double value, unsigned char kind)
{
    if (st->ncells == st->cap) {
        Py_ssize_t cap = st->cap ? st->cap * 2 : 4096;
        Cell *grown = PyMem_Realloc(st->cells, (size_t)cap * sizeof(Cell));
        if (grown == NULL)
            return -1;
        st->cells = grown;
        st->cap = cap;
    }
    Cell *c = &st->cells[st->ncells++];
    c->row = row;
    c->key = key;
    c->value = value;
    c->kind = kind;
    return 0;
}

static const double POW10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                               1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                               1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

#if LDBL_MANT_DIG == 64
/* 10**k for k <= 27 is exact in x87 extended precision (5**27 < 2**64). */
static const long double POW10L[] = {
    1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,  1e8L,  1e9L,
    1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L,
    1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L};

/* w * 10**e10 rounded once to 64 bits; it rounds to the right double unless that 64-bit
   result lies within one of its units of a point halfway between two doubles. */
static int extended_decimal(uint64_t w, int e10, double *out)
{
    if (e10 < -27 || e10 > 27)
        return -1;
    long double r = e10 >= 0 ? (long double)w * POW10L[e10] : (long double)w / POW10L[-e10];
    int exp2;
    long double m = frexpl(r, &exp2);
    uint64_t bits = (uint64_t)ldexpl(m, 64);
    unsigned low = (unsigned)(bits & 0x7FF); /* the 11 bits a double drops */
    if (low >= 0x3FF && low <= 0x401)
        return -1;
    *out = (double)r;
    return 0;
}
#else
static int extended_decimal(uint64_t w, int e10, double *out)
{
    (void)w, (void)e10, (void)out;
    return -1;
}
#endif

/* Python's own parser for a number token the arithmetic below cannot round exactly. */
static int parsed_value(const char *start, Py_ssize_t len, double *value)
{
    char buf[MAX_NUMBER];
    char *stop = NULL;
    memcpy(buf, start, (size_t)len);
    buf[len] = '\0';
    double parsed = PyOS_string_to_double(buf, &stop, NULL);
    if (parsed == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        return -1;
    }
    if (stop != buf + len || !isfinite(parsed))
        return -1;
    *value = parsed;
    return 0;
}

/* One strict JSON number at *pp, validated and valued in the same pass; 0 and the value
   when it is one this fast path takes. Its significant digits (up to 19) gather into `w`
   and its decimal exponent into `e10`. An int is exact below 2**53. A float is correctly
   rounded: exact arithmetic where it is exact (Clinger's fast path), else extended precision
   with a check for the one hard case, else Python's own parser. */
static int read_number(const char **pp, const char *end, double *value, unsigned char *kind)
{
    const char *p = *pp, *start = p;
    int negative = 0, is_int = 1, int_digits = 0, significant = 0, e10 = 0, exact = 1;
    uint64_t w = 0;
#define DIGIT(c) ((c) >= '0' && (c) <= '9')
#define GATHER(fraction)                                                                  \
    do {                                                                                  \
        if (significant == 19) {                                                          \
            exact = 0; /* more digits than a uint64 holds: Python's parser decides */     \
        } else {                                                                          \
            if (significant || *p != '0') { /* leading zeros are not significant */       \
                w = w * 10 + (uint64_t)(*p - '0');                                        \
                significant++;                                                            \
            }                                                                             \
            if (fraction)                                                                 \
                e10--;                                                                    \
        }                                                                                 \
    } while (0)
    if (p < end && *p == '-') {
        negative = 1;
        p++;
    }
    if (p < end && *p == '0') {
        p++;
        int_digits = 1;
    } else if (p < end && *p >= '1' && *p <= '9') {
        for (; p < end && DIGIT(*p); p++, int_digits++)
            GATHER(0);
    } else {
        return -1;
    }
    if (p < end && *p == '.') {
        is_int = 0;
        p++;
        if (p >= end || !DIGIT(*p))
            return -1;
        for (; p < end && DIGIT(*p); p++)
            GATHER(1);
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        is_int = 0;
        p++;
        int sign = 1, n = 0;
        if (p < end && (*p == '+' || *p == '-'))
            sign = *p++ == '-' ? -1 : 1;
        if (p >= end || !DIGIT(*p))
            return -1;
        for (; p < end && DIGIT(*p); p++)
            if (n < 100000)
                n = n * 10 + (*p - '0');
        e10 += sign * n;
    }
#undef GATHER
#undef DIGIT
    Py_ssize_t len = p - start;
    if (len >= MAX_NUMBER)
        return -1;
    if (is_int) {
        if (int_digits > 16 || w >= (uint64_t)INT_LIMIT)
            return -1;
        long long n = (long long)w;
        *value = (double)(negative ? -n : n);
        *kind = 2;
    } else {
        double v;
        if (exact && w == 0) {
            v = 0.0;
        } else if (exact && w < (1ULL << 53) && e10 >= -22 && e10 <= 22) {
            v = e10 >= 0 ? (double)w * POW10[e10] : (double)w / POW10[-e10];
        } else if (!exact || extended_decimal(w, e10, &v) < 0) {
            if (parsed_value(start, len, &v) < 0)
                return -1;
            negative = 0; /* the token's own sign */
        }
        *value = negative ? -v : v;
        *kind = 1;
    }
    *pp = p;
    return 0;
}

/* One line: 0 when it is a flat object of plain numbers (its cells added), else -1. */
static int read_line(Parse *st, int32_t row, const char *p, const char *end)
{
    p = skip_space(p, end);
    if (p >= end || *p != '{')
        return -1;
    p = skip_space(p + 1, end);
    if (p < end && *p == '}')
        return skip_space(p + 1, end) == end ? 0 : -1;
    for (;;) {
        if (p >= end || *p != '"')
            return -1;
        const char *name = ++p;
        while (p < end && *p != '"') {
            if (*p == '\\' || (unsigned char)*p < 0x20)
                return -1;
            p++;
        }
        if (p >= end)
            return -1;
        Py_ssize_t len = p - name;
        p = skip_space(p + 1, end);
        if (p >= end || *p != ':')
            return -1;
        p = skip_space(p + 1, end);
        double value;
        unsigned char kind;
        if (read_number(&p, end, &value, &kind) < 0)
            return -1;
        int key = key_index(st, name, len);
        if (key < 0 || add_cell(st, row, key, value, kind) < 0)
            return -1;
        p = skip_space(p, end);
        if (p < end && *p == ',') {
            p = skip_space(p + 1, end);
            continue;
        }
        if (p < end && *p == '}')
            return skip_space(p + 1, end) == end ? 0 : -1;
        return -1;
    }
}

static PyObject *build_result(Parse *st, Py_ssize_t rows)
{
    Py_ssize_t k = st->nkeys;
    PyObject *keys = PyList_New(k);
    if (keys == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < k; i++) {
        PyObject *name = PyUnicode_DecodeUTF8(st->names[i], st->lens[i], "strict");
        if (name == NULL) {
            Py_DECREF(keys);
            return NULL;
        }
        PyList_SET_ITEM(keys, i, name);
    }
    PyObject *values = PyBytes_FromStringAndSize(NULL, rows * k * (Py_ssize_t)sizeof(double));
    PyObject *kinds = PyBytes_FromStringAndSize(NULL, rows * k);
    if (values == NULL || kinds == NULL) {
        Py_DECREF(keys);
        Py_XDECREF(values);
        Py_XDECREF(kinds);
        return NULL;
    }
    double *v = (double *)PyBytes_AS_STRING(values);
    unsigned char *t = (unsigned char *)PyBytes_AS_STRING(kinds);
    memset(v, 0, (size_t)(rows * k) * sizeof(double));
    memset(t, 0, (size_t)(rows * k));
    for (Py_ssize_t i = 0; i < st->ncells; i++) { /* in order: a repeated key's last value wins */
        Cell *c = &st->cells[i];
        Py_ssize_t at = (Py_ssize_t)c->row * k + c->key;
        v[at] = c->value;
        t[at] = c->kind;
    }
    return Py_BuildValue("(NNN)", keys, values, kinds);
}

static PyObject *numeric_rows(PyObject *module, PyObject *lines)
{
    (void)module;
    if (!PyList_Check(lines)) {
        PyErr_SetString(PyExc_TypeError, "numeric_rows takes a list of str");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(lines);
    if (n > INT32_MAX)
        Py_RETURN_NONE;
    Parse *st = PyMem_Calloc(1, sizeof(Parse));
    if (st == NULL)
        return PyErr_NoMemory();
    for (int i = 0; i < TABLE_SIZE; i++)
        st->table[i].index = -1;
    PyObject *result = NULL;
    int fast = 1;
    for (Py_ssize_t row = 0; row < n && fast; row++) {
        PyObject *line = PyList_GET_ITEM(lines, row);
        Py_ssize_t size;
        const char *text;
        if (!PyUnicode_Check(line) || (text = PyUnicode_AsUTF8AndSize(line, &size)) == NULL) {
            PyErr_Clear(); /* e.g. a lone surrogate: the Python path explains */
            fast = 0;
            break;
        }
        if (read_line(st, (int32_t)row, text, text + size) < 0)
            fast = 0;
    }
    if (PyErr_Occurred()) /* out of memory while growing */
        goto done;
    /* sparse rows (many keys, each in few rows) would make a huge matrix: per-key lists
       of the Python path suit them better */
    if (fast && (double)n * st->nkeys > 8.0 * (double)st->ncells + 65536.0)
        fast = 0;
    if (!fast) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    result = build_result(st, n);
done:
    PyMem_Free(st->cells);
    PyMem_Free(st);
    return result;
}

/* rows_json(names, columns, count[, lines]), for reads (history_json.py): the JSON array of
   `count` objects {names[0]: columns[0][r], ...}, where names are JSON strings and each column
   is the JSON array orjson wrote for one key's values (numbers or null, so no token holds a
   comma). With `lines` true: the objects one a line, without the brackets (JSON text never
   holds a raw newline). None when a column does not hold `count` tokens. */
static PyObject *rows_json(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *names, *columns;
    Py_ssize_t count;
    int lines = 0;
    if (!PyArg_ParseTuple(args, "O!O!n|p", &PyList_Type, &names, &PyList_Type, &columns, &count,
                          &lines))
        return NULL;
    Py_ssize_t k = PyList_GET_SIZE(names);
    if (k == 0 || k != PyList_GET_SIZE(columns) || count <= 0)
        Py_RETURN_NONE;
    const char **at = PyMem_Calloc((size_t)k, sizeof(char *));
    const char **ends = PyMem_Calloc((size_t)k, sizeof(char *));
    if (at == NULL || ends == NULL) {
        PyMem_Free(at);
        PyMem_Free(ends);
        return PyErr_NoMemory();
    }
    /* the output's size, computed without overflow: a column of `count` tokens is at least
       2 * count + 1 bytes long, so a larger `count` is refused before it multiplies */
    Py_ssize_t size = 0;
    PyObject *result = NULL;
    for (Py_ssize_t i = 0; i < k; i++) {
        PyObject *name = PyList_GET_ITEM(names, i), *column = PyList_GET_ITEM(columns, i);
        if (!PyBytes_Check(name) || !PyBytes_Check(column)) {
            PyErr_SetString(PyExc_TypeError, "rows_json takes lists of bytes");
            goto done;
        }
        const char *text = PyBytes_AS_STRING(column);
        Py_ssize_t len = PyBytes_GET_SIZE(column);
        if (len < 2 || text[0] != '[' || text[len - 1] != ']' || (len - 1) / 2 < count) {
            result = Py_NewRef(Py_None);
            goto done;
        }
        at[i] = text + 1;
        ends[i] = text + len - 1;
        Py_ssize_t per_row = PyBytes_GET_SIZE(name) + 2; /* name, ':' and a comma */
        if (per_row > (PY_SSIZE_T_MAX - size - len) / count) {
            PyErr_NoMemory();
            goto done;
        }
        size += len + count * per_row;
    }
    if (count > (PY_SSIZE_T_MAX - size - 2) / 3) { /* brackets, braces, row separators */
        PyErr_NoMemory();
        goto done;
    }
    size += 2 + count * 2 + (count - 1);
    result = PyBytes_FromStringAndSize(NULL, size);
    if (result == NULL)
        goto done;
    char *out = PyBytes_AS_STRING(result), *start = out;
    if (!lines)
        *out++ = '[';
    for (Py_ssize_t row = 0; row < count; row++) {
        if (row)
            *out++ = lines ? '\n' : ',';
        *out++ = '{';
        for (Py_ssize_t i = 0; i < k; i++) {
            PyObject *name = PyList_GET_ITEM(names, i);
            if (i)
                *out++ = ',';
            memcpy(out, PyBytes_AS_STRING(name), (size_t)PyBytes_GET_SIZE(name));
            out += PyBytes_GET_SIZE(name);
            *out++ = ':';
            const char *token = at[i], *stop = token;
            while (stop < ends[i] && *stop != ',')
                stop++;
            int last = row == count - 1;
            if (stop == token || (last ? stop != ends[i] : stop == ends[i])) {
                Py_SETREF(result, Py_NewRef(Py_None)); /* not `count` tokens */
                goto done;
            }
            memcpy(out, token, (size_t)(stop - token));
            out += stop - token;
            at[i] = stop + 1;
        }
        *out++ = '}';
    }
    if (!lines)
        *out++ = ']';
    if (_PyBytes_Resize(&result, out - start) < 0)
        result = NULL;
done:
    PyMem_Free(at);
    PyMem_Free(ends);
    return result;
}

static PyMethodDef methods[] = {
    {"numeric_rows", numeric_rows, METH_O,
     "numeric_rows(lines) -> (keys, float64 values, kinds) or None; see the module source."},
    {"rows_json", rows_json, METH_VARARGS,
     "rows_json(names, columns, count[, lines]) -> JSON bytes or None; see the module source."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "wbserver.domain._accel",
    "History's optional accelerator: rows of plain numbers in, rows of JSON out.", -1,
    methods,
};

PyMODINIT_FUNC PyInit__accel(void) { return PyModule_Create(&module); }
