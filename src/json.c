/*
 * json.c: streaming split of JSON-RPC responses into small elements.
 *
 * A response body arrives in chunks.  The scanner below checks the JSON
 * grammar byte by byte (strings, escapes, nesting, commas and colons) and
 * walks the envelope {"jsonrpc","result","id"} or {"error"} in any key
 * order.  Inside the result it follows the rules of a json_spec: DESCEND
 * into the levels that lead to the elements, capture each element (a
 * worker, a job, a declaration) into a buffer with the subtrees marked
 * SKIP cut out and replaced by null, tokenize it with jsmn into a small
 * reused token array and hand it to the callback.  Everything else is
 * skipped without being tokenized.  Memory is bounded by the largest
 * element, never by the body.
 *
 * What is not checked in skipped values: the spelling of numbers and
 * literals (only their characters) and the UTF-8 of strings.  Values that
 * are decoded are checked strictly by the accessors at the end.
 */

#include <stdarg.h>
#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

#include "mview.h"

#define JSON_DEPTH_MAX	64		/* deepest nesting accepted */
#define JSON_KEY_MAX	256		/* longest key we look at, bytes */
#define JSON_ELEM_MAX	(4 << 20)	/* largest element kept, bytes */
#define JSON_TOK_MIN	256		/* first size of the token array */
#define JSON_TOK_MAX	(1 << 18)	/* most tokens in one element */
#define JSON_ERR_MAX	512

/* Character classes outside strings. */
enum {
	C_BAD, C_WS, C_LBRACE, C_RBRACE, C_LBRACK, C_RBRACK, C_COMMA,
	C_COLON, C_QUOTE, C_PRIM
};

/* What the grammar expects next. */
enum {
	X_VALUE, X_KEY_OR_END, X_KEY, X_COLON, X_COMMA_OR_END,
	X_VALUE_OR_END, X_DONE
};

/* Inside a token that may span chunks. */
enum { IN_NONE, IN_STR, IN_ESC, IN_HEX, IN_PRIM };

/* What a capture is for. */
enum { CAP_ELEM, CAP_NULL, CAP_ERROR, CAP_ID };

static const unsigned char json_cls[256] = {
	[' '] = C_WS, ['\t'] = C_WS, ['\n'] = C_WS, ['\r'] = C_WS,
	['{'] = C_LBRACE, ['}'] = C_RBRACE, ['['] = C_LBRACK,
	[']'] = C_RBRACK, [','] = C_COMMA, [':'] = C_COLON,
	['"'] = C_QUOTE, ['-'] = C_PRIM, ['+'] = C_PRIM, ['.'] = C_PRIM,
	['0' ... '9'] = C_PRIM, ['a' ... 'z'] = C_PRIM, ['A' ... 'Z'] = C_PRIM
};

/* Bytes that end the fast part of a string: controls, quote, backslash. */
static const unsigned char json_scls[256] = {
	[0x00 ... 0x1f] = 1, ['"'] = 2, ['\\'] = 3
};

struct json_buf {
	char		*p;
	size_t		 len;
	size_t		 cap;
};

struct json_stream {
	const struct json_spec	*spec;
	void			*arg;
	struct json_node	 env[4];	/* result, error, id, end */
	struct json_node	 top[2];	/* the envelope object, end */
	int			 failed;
	char			 err[JSON_ERR_MAX];
	int			 rpcerr;
	int64_t			 rpccode;
	size_t			 offset;	/* bytes before this chunk */
	const char		*chunk;
	const char		*chunk_end;

	int			 exp;
	int			 in;
	int			 hex;
	int			 strkey;
	int			 depth;
	char			 type[JSON_DEPTH_MAX + 1];
	const struct json_node	*kids[JSON_DEPTH_MAX + 1];
	const struct json_node	*match[JSON_DEPTH_MAX + 1];
	size_t			 index[JSON_DEPTH_MAX + 1];

	int			 cap;		/* depth of capture, or -1 */
	int			 capkind;
	const struct json_node	*capnode;
	int			 skip;		/* depth of skip, or -1 */
	int			 fast;		/* scan fast down to, or -1 */
	int			 flat;		/* tokenize a flat element */
	int			 flatn;		/* tokens made by json_flat */
	const char *const	*ints;		/* json_ints' names, or NULL */
	const char *const	*intsof;	/* names of intn and intlen */
	int			 intn;
	size_t			 intlen[JSON_INTS_MAX];
	int			 intsok;	/* json_ints read the element */
	uint64_t		 intv[JSON_INTS_MAX];
	const char		*run;		/* kept bytes start here */
	const char		*estart;	/* element start, this chunk */
	struct json_buf		 ebuf;

	int			 collect;	/* gather the key */
	const char		*kstart;
	char			 key[JSON_KEY_MAX + 1];
	size_t			 keylen;
	int			 keylong;
	char			 curkey[JSON_KEY_MAX + 1];

	struct json_pathent	 path[JSON_PATH_MAX];
	char			 pathkey[JSON_PATH_MAX][JSON_KEY_MAX + 1];
	int			 pathdepth[JSON_PATH_MAX];
	int			 npath;

	int			 seen_result;
	int			 seen_id;
	int			 wantid;	/* the request's id is known */
	uint64_t		 id;		/* the request's id */
	int			 idnull;	/* the response's id was null */
	int			 rpcpend;	/* an error waits for the id */
	char			 rpcmsg[JSON_ERR_MAX];
	int			 seen_error;
	jsmntok_t		*tok;
	int			 ntokmax;
};

static int	json_walk(struct json_stream *, const struct json_node *, int,
		    const char *);

/* Append bytes to a buffer, refusing to grow past JSON_ELEM_MAX. */
static int
json_buf_add(struct json_buf *b, const void *p, size_t n)
{
	size_t	 ncap;
	char	*np;

	if (b->len + n + 1 > b->cap) {
		if (b->len + n + 1 > JSON_ELEM_MAX)
			return (-1);
		ncap = b->cap ? b->cap : 1024;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		if ((np = realloc(b->p, ncap)) == NULL)
			return (-1);
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return (0);
}

/* Make a stream that splits one response according to spec. */
struct json_stream *
json_stream_new(const struct json_spec *spec, void *arg)
{
	struct json_stream	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return (NULL);
	s->spec = spec;
	s->arg = arg;
	s->env[0] = spec->result;
	s->env[0].key = "result";
	s->env[1].key = "error";
	s->env[1].action = JSON_ELEM;
	s->env[2].key = "id";
	s->env[2].action = JSON_ELEM;
	s->top[0].key = "response";
	s->top[0].action = JSON_DESCEND;
	s->top[0].type = '{';
	s->top[0].kids = s->env;
	s->kids[0] = s->top;
	s->match[0] = &s->top[0];
	s->cap = s->skip = s->fast = -1;
	s->exp = X_VALUE;
	return (s);
}

/* The id of the request: the response must carry the same. */
void
json_stream_expect_id(struct json_stream *s, uint64_t id)
{
	s->wantid = 1;
	s->id = id;
}

/* Free a stream. */
void
json_stream_free(struct json_stream *s)
{
	if (s == NULL)
		return;
	free(s->ebuf.p);
	free(s->tok);
	free(s);
}

/* Record the first failure as "Method: message"; always -1. */
int
json_stream_fail(struct json_stream *s, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (s->failed)
		return (-1);
	s->failed = 1;
	n = snprintf(s->err, sizeof(s->err), "%s: ", s->spec->method);
	if (n < 0 || (size_t)n >= sizeof(s->err))
		return (-1);
	va_start(ap, fmt);
	vsnprintf(s->err + n, sizeof(s->err) - n, fmt, ap);
	va_end(ap);
	return (-1);
}

/* The message of the first failure, or NULL. */
const char *
json_stream_error(const struct json_stream *s)
{
	return (s->failed ? s->err : NULL);
}

/* Whether the miner answered with an error object, and its code. */
int
json_stream_rpc_error(const struct json_stream *s, int64_t *code)
{
	if (s->rpcerr && code != NULL)
		*code = s->rpccode;
	return (s->rpcerr);
}

/* Describe the current wildcard path, for messages. */
static const char *
json_where(struct json_stream *s, char *buf, size_t len)
{
	char	 safe[80];
	size_t	 off = 0;
	int	 i, n;

	buf[0] = '\0';
	for (i = 0; i < s->npath && off < len; i++) {
		if (s->path[i].key != NULL)
			n = snprintf(buf + off, len - off, " in \"%s\"",
			    json_safe(s->path[i].key, safe, sizeof(safe)));
		else
			n = snprintf(buf + off, len - off, " in item %zu",
			    s->path[i].index);
		if (n < 0)
			break;
		off += n;
	}
	return (buf);
}

/* Fail with a syntax error at p, naming the byte offset and path. */
static int
json_syntax(struct json_stream *s, const char *p, const char *what)
{
	char	where[256];

	return (json_stream_fail(s, "invalid JSON at byte %zu%s: %s",
	    s->offset + (size_t)(p - s->chunk),
	    json_where(s, where, sizeof(where)), what));
}

/* Find the rule for a member named key (NULL for an array item). */
static const struct json_node *
json_rule(const struct json_node *n, const char *key)
{
	if (n == NULL)
		return (NULL);
	for (; n->key != NULL || n->action != 0; n++) {
		if (n->key == NULL || (key != NULL && strcmp(n->key, key) == 0))
			return (n);
	}
	return (NULL);
}

/* Push a wildcard level for the value that starts at depth d. */
static int
json_path_push(struct json_stream *s, int d, const char *key)
{
	struct json_pathent	*pe;

	if (s->npath == JSON_PATH_MAX)
		return (json_stream_fail(s, "nesting of rules too deep"));
	pe = &s->path[s->npath];
	if (key != NULL) {
		snprintf(s->pathkey[s->npath], sizeof(s->pathkey[0]), "%s",
		    key);
		pe->key = s->pathkey[s->npath];
	} else {
		pe->key = NULL;
		pe->index = s->index[d] - 1;
	}
	s->pathdepth[s->npath++] = d;
	return (0);
}

/* Call the callback; a failure without a message gets one. */
static int
json_emit(struct json_stream *s, enum json_event ev, struct json_elem *e)
{
	struct json_elem	 none;

	if (e == NULL) {
		memset(&none, 0, sizeof(none));
		e = &none;
	}
	e->path = s->path;
	e->npath = s->npath;
	if (s->spec->cb(s->arg, s, ev, e) == -1)
		return (json_stream_fail(s, "rejected by the parser"));
	return (0);
}

/* Count and measure the names of s->ints for json_ints. */
static void
json_ints_names(struct json_stream *s)
{
	int	k;

	for (k = 0; k < JSON_INTS_MAX && s->ints[k] != NULL; k++)
		s->intlen[k] = strlen(s->ints[k]);
	s->intn = s->ints[k] == NULL ? k : 0;	/* too many: never used */
	s->intsof = s->ints;
}

/* Begin capturing the value that starts at p, at depth d. */
static void
json_capture(struct json_stream *s, int d, int kind, const char *p)
{
	s->cap = d;
	s->capkind = kind;
	s->run = p;
	s->estart = p;
	s->ebuf.len = 0;
}

/* Begin skipping a value inside a capture: cut it, write null. */
static int
json_cut(struct json_stream *s, int d, const char *p)
{
	if (json_buf_add(&s->ebuf, s->run, p - s->run) == -1 ||
	    json_buf_add(&s->ebuf, "null", 4) == -1)
		return (json_stream_fail(s, "element too large"));
	s->skip = d;
	s->run = NULL;
	return (0);
}

/* A DESCEND position holds the wrong kind of value. */
static int
json_badtype(struct json_stream *s, const struct json_node *n)
{
	char	where[256];

	if (n == &s->top[0])
		return (json_stream_fail(s, "not a JSON-RPC response"));
	return (json_stream_fail(s, "%s%s: not an %s",
	    n->key != NULL ? n->key : "value",
	    json_where(s, where, sizeof(where)),
	    n->type == '{' ? "object" : "array"));
}

/* Decide what to do with a value of kind c ('{', '[', '"', 'p') at p. */
static int
json_value_start(struct json_stream *s, int c, const char *p)
{
	const struct json_node	*n;
	int			 d = s->depth;

	if (s->type[d] == '[') {
		s->index[d]++;
		if (s->skip < 0)
			s->match[d] = json_rule(s->kids[d], NULL);
	}
	if (s->skip >= 0)
		n = NULL;
	else
		n = s->match[d];
	if (c == '{' || c == '[') {
		if (d == JSON_DEPTH_MAX)
			return (json_syntax(s, p, "nesting too deep"));
		s->type[d + 1] = c;
		s->kids[d + 1] = NULL;
		s->match[d + 1] = NULL;
		s->index[d + 1] = 0;
	}
	if (s->skip >= 0)
		return (0);
	if (s->cap >= 0) {
		if (n != NULL && n->action == JSON_SKIP)
			return (json_cut(s, d, p));
		if (n != NULL && (c == '{' || c == '['))
			s->kids[d + 1] = n->kids;
		return (0);
	}
	return (json_walk(s, n, c, p));
}

/* Outside elements: descend, capture or skip the value at p. */
static int
json_walk(struct json_stream *s, const struct json_node *n, int c,
    const char *p)
{
	int	d = s->depth;

	if (n == &s->env[0] && s->seen_result++)
		return (json_stream_fail(s, "more than one result"));
	if (n == &s->env[1] && s->seen_error++)
		return (json_stream_fail(s, "more than one error"));
	if (n == &s->env[2] && s->seen_id++)
		return (json_stream_fail(s, "more than one id"));
	if (n == NULL || n->action == JSON_SKIP || n->action == JSON_KEEP) {
		s->skip = d;
		return (0);
	}
	if (n->key == NULL && json_path_push(s, d,
	    s->type[d] == '{' ? s->curkey : NULL) == -1)
		return (-1);
	if (n == &s->env[1])
		json_capture(s, d, CAP_ERROR, p);
	else if (n == &s->env[2])
		json_capture(s, d, CAP_ID, p);
	else if (n->action == JSON_ELEM) {
		json_capture(s, d, CAP_ELEM, p);
		if (c == '{' || c == '[')
			s->kids[d + 1] = n->kids;
		s->flat = c == '{' && n->type == 'f' && n->kids == NULL;
		s->ints = s->flat ? n->ints : NULL;
		if (s->ints != NULL && s->ints != s->intsof)
			json_ints_names(s);
	} else if (c == n->type) {
		s->kids[d + 1] = n->kids;
		if (n == &s->top[0])
			return (0);
		return (json_emit(s, JSON_EV_ENTER, NULL));
	} else if (n->nullok && (c == 'p' || c == '"')) {
		json_capture(s, d, CAP_NULL, p);
		s->capnode = n;
	} else
		return (json_badtype(s, n));
	return (0);
}

/* Grow the token array; -1 when it would pass JSON_TOK_MAX. */
static int
json_tok_grow(struct json_stream *s)
{
	jsmntok_t	*nt;
	int		 n;

	n = s->ntokmax ? s->ntokmax * 2 : JSON_TOK_MIN;
	if (n > JSON_TOK_MAX)
		return (-1);
	if ((nt = realloc(s->tok, n * sizeof(*nt))) == NULL)
		return (-1);
	s->tok = nt;
	s->ntokmax = n;
	return (0);
}

/* Tokenize a captured element with jsmn; the token count or -1. */
static int
json_tokenize(struct json_stream *s, const char *buf, size_t len)
{
	jsmn_parser	jp;
	int		r;

	if (s->tok == NULL && json_tok_grow(s) == -1)
		return (json_stream_fail(s, "out of memory"));
	for (;;) {
		jsmn_init(&jp);
		r = jsmn_parse(&jp, buf, len, s->tok, s->ntokmax);
		if (r != JSMN_ERROR_NOMEM)
			break;
		if (json_tok_grow(s) == -1)
			return (json_stream_fail(s, "element has too many "
			    "tokens"));
	}
	if (r <= 0)
		return (json_stream_fail(s, "element not tokenized (%d)", r));
	return (r);
}

/* Fail the stream with the error object it held back. */
static int
json_rpc_apply(struct json_stream *s)
{
	s->rpcpend = 0;
	s->rpcerr = 1;
	return (json_stream_fail(s, "%s", s->rpcmsg));
}

/*
 * Turn a non-null error object into the failure of the stream.  Before
 * the id (lotus 1.27.1 and later put it first) it waits for the id, so
 * that an error meant for another request is named as such.
 */
static int
json_rpc_fail(struct json_stream *s, struct json_elem *e)
{
	char	 safe[320], *msg;
	int64_t	 code;
	int	 t;

	if (json_type(e, 0) == JSON_NULL) {
		s->seen_error = 0;
		return (0);
	}
	if (json_type(e, 0) != JSON_OBJECT)
		return (json_stream_fail(s, "error: not an object"));
	if ((t = json_get(e, 0, "code")) == -1 || json_i64(e, t, &code) == -1)
		return (json_stream_fail(s, "error: code: %s", e->why));
	if ((t = json_get(e, 0, "message")) == -1 ||
	    (msg = json_strdup(e, t)) == NULL)
		return (json_stream_fail(s, "error: message: %s", e->why));
	s->rpccode = code;
	snprintf(s->rpcmsg, sizeof(s->rpcmsg), "%s (code %lld)",
	    json_safe(msg, safe, sizeof(safe)), (long long)code);
	free(msg);
	s->rpcpend = 1;
	if (s->wantid && !s->seen_id)
		return (0);
	return (json_rpc_apply(s));
}

/*
 * Check the response's id against the request's.  A null id is judged
 * at the end: with an error object the error says more.
 */
static int
json_rpc_id(struct json_stream *s, struct json_elem *e)
{
	const char	*text;
	char		 raw[80], safe[80];
	uint64_t	 v;
	size_t		 n;

	if (!s->wantid)
		return (0);
	if (json_type(e, 0) == JSON_NULL) {
		s->idnull = 1;
		return (s->rpcpend ? json_rpc_apply(s) : 0);
	}
	if (json_type(e, 0) == JSON_NUMBER && json_u64(e, 0, &v) == 0 &&
	    v == s->id)
		return (s->rpcpend ? json_rpc_apply(s) : 0);
	if ((text = json_raw(e, 0, &n)) == NULL)
		return (json_stream_fail(s, "response id: invalid"));
	if (json_type(e, 0) == JSON_STRING)
		text--, n += 2;			/* with its quotes */
	if (n >= sizeof(raw))
		n = sizeof(raw) - 1;
	memcpy(raw, text, n);
	raw[n] = '\0';
	return (json_stream_fail(s, "response id %s is not the request's "
	    "(%llu)", json_safe(raw, safe, sizeof(safe)),
	    (unsigned long long)s->id));
}

/* The captured value ends before p: hand it over. */
static int
json_deliver(struct json_stream *s, const char *p)
{
	struct json_elem	 e;
	const char		*buf;
	size_t			 len;
	int			 r;

	s->cap = -1;
	if (s->estart != NULL && s->ebuf.len == 0 &&
	    json_cls[(unsigned char)*s->estart] != C_PRIM) {
		buf = s->estart;
		len = p - s->estart;
	} else {
		if (json_buf_add(&s->ebuf, s->run, p - s->run) == -1 ||
		    json_buf_add(&s->ebuf, " ", 1) == -1)
			return (json_stream_fail(s, "element too large"));
		buf = s->ebuf.p;
		len = s->ebuf.len;
	}
	s->run = s->estart = NULL;
	if (s->capkind == CAP_NULL) {
		if (len < 4 || memcmp(buf, "null ", len < 5 ? 4 : 5) != 0)
			return (json_badtype(s, s->capnode));
		return (json_emit(s, JSON_EV_NULL, NULL));
	}
	memset(&e, 0, sizeof(e));
	if (s->intsok) {
		s->intsok = 0;
		e.ints = s->intv;
		r = 0;
	} else if (s->flatn > 0) {
		r = s->flatn;
		s->flatn = 0;
	} else if ((r = json_tokenize(s, buf, len)) == -1)
		return (-1);
	e.buf = buf;
	e.len = len;
	e.tok = s->tok;
	e.ntok = r;
	if (s->capkind == CAP_ERROR)
		return (json_rpc_fail(s, &e));
	if (s->capkind == CAP_ID)
		return (json_rpc_id(s, &e));
	return (json_emit(s, JSON_EV_ELEM, &e));
}

/* A value at the current depth ended just before p. */
static int
json_value_end(struct json_stream *s, const char *p)
{
	int	d = s->depth;

	s->exp = d == 0 ? X_DONE : X_COMMA_OR_END;
	if (s->skip >= 0) {
		if (s->skip != d)
			return (0);
		s->skip = -1;
		if (s->cap >= 0) {
			s->run = p;
			return (0);
		}
	} else if (s->cap == d) {
		if (json_deliver(s, p) == -1)
			return (-1);
	} else if (s->cap >= 0)
		return (0);
	if (s->npath > 0 && s->pathdepth[s->npath - 1] == d)
		s->npath--;
	return (0);
}

/* Gather raw key bytes; a key too long is marked, not kept. */
static void
json_key_add(struct json_stream *s, const char *p, size_t n)
{
	if (s->keylen + n > JSON_KEY_MAX) {
		s->keylong = 1;
		n = JSON_KEY_MAX - s->keylen;
	}
	memcpy(s->key + s->keylen, p, n);
	s->keylen += n;
}

/* A key ended: decode it and find the rule for its value. */
static int
json_key_end(struct json_stream *s, const char *p)
{
	const char	*why = "too long";
	int		 d = s->depth;

	s->exp = X_COLON;
	if (!s->collect)
		return (0);
	json_key_add(s, s->kstart, p - 1 - s->kstart);
	if (s->keylong ||
	    json_unescape(s->key, s->keylen, s->curkey, sizeof(s->curkey),
	    &why) == -1) {
		if (s->cap < 0)
			return (json_syntax(s, p, why));
		return (0);
	}
	s->match[d] = json_rule(s->kids[d], s->curkey);
	return (0);
}

/* Whether c is a hexadecimal digit. */
static int
json_ishex(int c)
{
	return ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F'));
}

/* Scan string bytes from p; returns where it stopped, NULL on error. */
static const char *
json_string(struct json_stream *s, const char *p, const char *e)
{
	const unsigned char	*q = (const unsigned char *)p;
	const unsigned char	*qe = (const unsigned char *)e;

	while (q < qe) {
		if (s->in == IN_STR) {
			while (q < qe && json_scls[*q] == 0)
				q++;
			if (q == qe)
				break;
			if (*q == '"') {
				s->in = IN_NONE;
				q++;
				if (s->strkey ?
				    json_key_end(s, (const char *)q) == -1 :
				    json_value_end(s, (const char *)q) == -1)
					return (NULL);
				return ((const char *)q);
			}
			if (*q != '\\') {
				json_syntax(s, (const char *)q,
				    "control character in string");
				return (NULL);
			}
			s->in = IN_ESC;
			q++;
		} else if (s->in == IN_ESC) {
			if (strchr("\"\\/bfnrtu", *q) == NULL || *q == '\0') {
				json_syntax(s, (const char *)q,
				    "invalid escape in string");
				return (NULL);
			}
			s->in = *q == 'u' ? IN_HEX : IN_STR;
			s->hex = 4;
			q++;
		} else {
			if (!json_ishex(*q)) {
				json_syntax(s, (const char *)q,
				    "invalid \\u escape in string");
				return (NULL);
			}
			if (--s->hex == 0)
				s->in = IN_STR;
			q++;
		}
	}
	return ((const char *)q);
}

/* Scan a number or literal from p. */
static const char *
json_prim(struct json_stream *s, const char *p, const char *e)
{
	const unsigned char	*q = (const unsigned char *)p;
	const unsigned char	*qe = (const unsigned char *)e;

	while (q < qe && json_cls[*q] == C_PRIM)
		q++;
	if (q == qe)
		return (e);
	s->in = IN_NONE;
	if (json_value_end(s, (const char *)q) == -1)
		return (NULL);
	return ((const char *)q);
}

/* Fail on an unexpected byte, telling trailing data apart. */
static const char *
json_unexpected(struct json_stream *s, const char *p)
{
	char	what[64];

	if (s->exp == X_DONE)
		json_syntax(s, p, "trailing data after the response");
	else if ((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f)
		json_syntax(s, p, (snprintf(what, sizeof(what),
		    "unexpected '%c'", *p), what));
	else
		json_syntax(s, p, (snprintf(what, sizeof(what),
		    "unexpected byte 0x%02x", (unsigned char)*p), what));
	return (NULL);
}

/*
 * Scan fast through a value that has no rules below it (skipped, or
 * captured whole), keeping the grammar but no per-key state, until the
 * container opened at depth s->fast + 1 closes.
 */
static const char *
json_fast(struct json_stream *s, const char *p, const char *e)
{
	const unsigned char	*q = (const unsigned char *)p;
	const unsigned char	*qe = (const unsigned char *)e;
	int			 exp = s->exp, depth = s->depth, in = s->in;

	while (q < qe) {
		if (in != IN_NONE) {
			if (in == IN_PRIM) {
				while (q < qe && json_cls[*q] == C_PRIM)
					q++;
				if (q == qe)
					break;
				in = IN_NONE;
				exp = X_COMMA_OR_END;
				continue;
			}
			if (in == IN_STR) {
				while (q < qe && json_scls[*q] == 0)
					q++;
				if (q == qe)
					break;
				if (*q == '"') {
					in = IN_NONE;
					exp = exp == X_KEY ||
					    exp == X_KEY_OR_END ?
					    X_COLON : X_COMMA_OR_END;
					q++;
					continue;
				}
				if (*q != '\\')
					goto bad;
				in = IN_ESC;
				q++;
				continue;
			}
			if (in == IN_ESC) {
				if (*q == 'u') {
					in = IN_HEX;
					s->hex = 4;
				} else if (*q == '\0' ||
				    strchr("\"\\/bfnrt", *q) == NULL)
					goto bad;
				else
					in = IN_STR;
				q++;
				continue;
			}
			if (!json_ishex(*q))
				goto bad;
			if (--s->hex == 0)
				in = IN_STR;
			q++;
			continue;
		}
		switch (json_cls[*q]) {
		case C_WS:
			q++;
			continue;
		case C_QUOTE:
			if (exp == X_COLON || exp == X_COMMA_OR_END)
				goto bad;
			in = IN_STR;
			q++;
			continue;
		case C_PRIM:
			if (exp != X_VALUE && exp != X_VALUE_OR_END)
				goto bad;
			in = IN_PRIM;
			continue;
		case C_LBRACE:
		case C_LBRACK:
			if ((exp != X_VALUE && exp != X_VALUE_OR_END) ||
			    depth == JSON_DEPTH_MAX)
				goto bad;
			s->type[++depth] = *q;
			exp = *q == '{' ? X_KEY_OR_END : X_VALUE_OR_END;
			q++;
			continue;
		case C_RBRACE:
			if (s->type[depth] != '{' || (exp != X_COMMA_OR_END &&
			    exp != X_KEY_OR_END))
				goto bad;
			break;
		case C_RBRACK:
			if (s->type[depth] != '[' || (exp != X_COMMA_OR_END &&
			    exp != X_VALUE_OR_END))
				goto bad;
			break;
		case C_COMMA:
			if (exp != X_COMMA_OR_END)
				goto bad;
			exp = s->type[depth] == '{' ? X_KEY : X_VALUE;
			q++;
			continue;
		case C_COLON:
			if (exp != X_COLON)
				goto bad;
			exp = X_VALUE;
			q++;
			continue;
		default:
			goto bad;
		}
		/* A close bracket. */
		exp = X_COMMA_OR_END;
		q++;
		if (--depth == s->fast) {
			s->exp = exp;
			s->depth = depth;
			s->in = in;
			s->fast = -1;
			if (json_value_end(s, (const char *)q) == -1)
				return (NULL);
			return ((const char *)q);
		}
	}
	s->exp = exp;
	s->depth = depth;
	s->in = in;
	return ((const char *)q);
 bad:
	s->exp = exp;
	s->depth = depth;
	s->in = in;
	return (json_unexpected(s, (const char *)q));
}

/* Close the skipped container at q: back to the careful scanner. */
static const char *
json_skim_done(struct json_stream *s, const char *q)
{
	s->exp = X_COMMA_OR_END;
	s->fast = -1;
	if (json_value_end(s, q) == -1)
		return (NULL);
	return (q);
}

/*
 * Skim one byte of a skipped value: strings, escapes and brackets only.
 * Returns 1 when the skipped container closed, 0 to go on, -1 on error.
 */
static int
json_skim1(struct json_stream *s, const unsigned char *q)
{
	int	c = *q;

	switch (s->in) {
	case IN_STR:
		if (c == '"')
			s->in = IN_NONE;
		else if (c == '\\')
			s->in = IN_ESC;
		else if (c < 0x20)
			return (-1);
		return (0);
	case IN_ESC:
		if (c == 'u') {
			s->in = IN_HEX;
			s->hex = 4;
		} else if (c == '\0' || strchr("\"\\/bfnrt", c) == NULL)
			return (-1);
		else
			s->in = IN_STR;
		return (0);
	case IN_HEX:
		if (!json_ishex(c))
			return (-1);
		if (--s->hex == 0)
			s->in = IN_STR;
		return (0);
	}
	switch (json_cls[c]) {
	case C_QUOTE:
		s->in = IN_STR;
		return (0);
	case C_LBRACE:
	case C_LBRACK:
		if (s->depth == JSON_DEPTH_MAX)
			return (-1);
		s->type[++s->depth] = c;
		return (0);
	case C_RBRACE:
	case C_RBRACK:
		if (s->type[s->depth] != (c == '}' ? '{' : '['))
			return (-1);
		return (--s->depth == s->fast);
	case C_BAD:
		return (-1);
	}
	return (0);
}

#ifdef __SSE2__
/*
 * Skim whole 16-byte blocks with SSE2 while they hold no backslash and
 * no control byte; a block that does is left to json_skim1.  Returns
 * the first byte not skimmed, or the byte after the closing bracket
 * with *done set.
 */
static const unsigned char *
json_skim16(struct json_stream *s, const unsigned char *q,
    const unsigned char *qe, int *done)
{
	const __m128i	 quote = _mm_set1_epi8('"');
	const __m128i	 bslash = _mm_set1_epi8('\\');
	const __m128i	 ctl = _mm_set1_epi8(0x1f);
	const __m128i	 o1 = _mm_set1_epi8('{'), o2 = _mm_set1_epi8('[');
	const __m128i	 c1 = _mm_set1_epi8('}'), c2 = _mm_set1_epi8(']');
	__m128i		 v;
	unsigned int	 mq, mo, mc, all, bit;
	int		 i, r;

	for (; q + 16 <= qe && (s->in == IN_NONE || s->in == IN_STR); q += 16) {
		v = _mm_loadu_si128((const __m128i *)q);
		if (_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, bslash),
		    _mm_cmpeq_epi8(_mm_max_epu8(v, ctl), ctl))) != 0)
			break;
		mq = _mm_movemask_epi8(_mm_cmpeq_epi8(v, quote));
		mo = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, o1),
		    _mm_cmpeq_epi8(v, o2)));
		mc = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, c1),
		    _mm_cmpeq_epi8(v, c2)));
		for (all = mq | mo | mc; all != 0; all &= all - 1) {
			bit = all & -all;
			if (mq & bit) {
				s->in = s->in == IN_STR ? IN_NONE : IN_STR;
				continue;
			}
			if (s->in == IN_STR)
				continue;
			i = __builtin_ctz(bit);
			if ((mo & bit) && s->depth < JSON_DEPTH_MAX) {
				s->type[++s->depth] = q[i];
				continue;
			}
			if ((r = json_skim1(s, q + i)) != 0) {
				*done = r;
				return (q + i + 1);
			}
		}
	}
	return (q);
}
#endif

/* Scan a skipped container: strings and brackets only, fast. */
static const char *
json_skim(struct json_stream *s, const char *p, const char *e)
{
	const unsigned char	*q = (const unsigned char *)p;
	const unsigned char	*qe = (const unsigned char *)e;
	int			 done = 0;

	while (q < qe) {
#ifdef __SSE2__
		q = json_skim16(s, q, qe, &done);
		if (done == -1)
			return (json_unexpected(s, (const char *)q - 1));
		if (done == 1)
			return (json_skim_done(s, (const char *)q));
		if (q == qe)
			break;
#endif
		if ((done = json_skim1(s, q++)) == -1)
			return (json_unexpected(s, (const char *)q - 1));
		if (done == 1)
			return (json_skim_done(s, (const char *)q));
	}
	return ((const char *)q);
}

/* Whether c may start a number or literal (jsmn's strict rule). */
static int
json_prim_start(int c)
{
	return ((c >= '0' && c <= '9') || c == '-' || c == 't' || c == 'f' ||
	    c == 'n');
}

/* Skip white space from q; NULL at the end of the chunk. */
static const unsigned char *
json_ws(const unsigned char *q, const unsigned char *qe)
{
	while (q < qe && json_cls[*q] == C_WS)
		q++;
	return (q < qe ? q : NULL);
}

/* Scan a plain string from q (after the quote) to its closing quote. */
static const unsigned char *
json_flat_str(const unsigned char *q, const unsigned char *qe)
{
	while (q < qe && json_scls[*q] == 0)
		q++;
	return (q < qe && *q == '"' ? q : NULL);
}

/* Add a token for [a, b) of the element; NULL if out of room. */
static inline jsmntok_t *
json_flat_tok(struct json_stream *s, int *n, int type, const void *a,
    const void *b, int parent)
{
	jsmntok_t	*t;

	if (*n >= s->ntokmax - 2 && json_tok_grow(s) == -1)
		return (NULL);
	t = &s->tok[(*n)++];
	t->type = type;
	t->start = (const char *)a - s->estart;
	t->end = (const char *)b - s->estart;
	t->size = 0;
	t->parent = parent;
	return (t);
}

/* One member "key": value of a flat object at q; after it or NULL. */
static const unsigned char *
json_flat_member(struct json_stream *s, const unsigned char *q,
    const unsigned char *qe, int *n)
{
	const unsigned char	*v;
	int			 key = *n;

	if (*q != '"' || (v = json_flat_str(q + 1, qe)) == NULL ||
	    json_flat_tok(s, n, JSMN_STRING, q + 1, v, 0) == NULL)
		return (NULL);
	s->tok[key].size = 1;
	if ((q = json_ws(v + 1, qe)) == NULL || *q != ':' ||
	    (q = json_ws(q + 1, qe)) == NULL)
		return (NULL);
	if (*q == '"') {
		if ((v = json_flat_str(q + 1, qe)) == NULL ||
		    json_flat_tok(s, n, JSMN_STRING, q + 1, v, key) == NULL)
			return (NULL);
		return (v + 1);
	}
	if (!json_prim_start(*q))
		return (NULL);
	for (v = q; v < qe && json_cls[*v] == C_PRIM; v++)
		;
	if (v == qe || json_flat_tok(s, n, JSMN_PRIMITIVE, q, v, key) == NULL)
		return (NULL);
	return (v);
}

/*
 * Tokenize a flat object (scalar members, plain strings) that lies in
 * this chunk in one pass, instead of scanning it and then running jsmn
 * over it.  p is after its '{'.  Anything else (nesting, an escape, the
 * end of the chunk, an error) returns p unchanged for json_fast.
 */
static const char *
json_flat(struct json_stream *s, const char *p, const char *e)
{
	const unsigned char	*q = (const unsigned char *)p;
	const unsigned char	*qe = (const unsigned char *)e;
	int			 n = 0;

	if (json_flat_tok(s, &n, JSMN_OBJECT, s->estart, s->estart, -1) ==
	    NULL || (q = json_ws(q, qe)) == NULL)
		return (p);
	while (*q != '}') {
		if ((q = json_flat_member(s, q, qe, &n)) == NULL ||
		    (q = json_ws(q, qe)) == NULL)
			return (p);
		s->tok[0].size++;
		if (*q == ',') {
			if ((q = json_ws(q + 1, qe)) == NULL || *q != '"')
				return (p);
		} else if (*q != '}')
			return (p);
	}
	s->tok[0].end = (const char *)q + 1 - s->estart;
	s->flatn = n;
	s->depth--;
	s->fast = -1;
	if (json_value_end(s, (const char *)q + 1) == -1)
		return (NULL);
	return ((const char *)q + 1);
}

/* Whether the member name at q is name k of json_ints, quote and colon. */
static inline int
json_ints_is(struct json_stream *s, const unsigned char *q,
    const unsigned char *qe, int k)
{
	const char	*name = s->ints[k];
	size_t		 i, n = s->intlen[k];

	if ((size_t)(qe - q) <= n + 2 || q[n] != '"' || q[n + 1] != ':')
		return (0);
	for (i = 0; i < n; i++)
		if (q[i] != (unsigned char)name[i])
			return (0);
	return (1);
}

/* One "name":digits member of json_ints at q, the i-th; after it or NULL. */
static const unsigned char *
json_ints_member(struct json_stream *s, const unsigned char *q,
    const unsigned char *qe, int i, unsigned int *seen)
{
	uint64_t	 v = 0;
	size_t		 nd;
	int		 k;

	if (*q++ != '"')
		return (NULL);
	/* Members come in the rule's order as a rule; try that one first. */
	if (i < s->intn && json_ints_is(s, q, qe, i))
		k = i;
	else
		for (k = 0; k < s->intn && !json_ints_is(s, q, qe, k); k++)
			;
	if (k == s->intn || (*seen & (1u << k)))
		return (NULL);
	q += s->intlen[k] + 2;
	/* No leading zero and at most 19 digits: no overflow to check. */
	if (*q < '0' || *q > '9' || (*q == '0' && q + 1 < qe &&
	    q[1] >= '0' && q[1] <= '9'))
		return (NULL);
	for (nd = 0; q < qe && *q >= '0' && *q <= '9'; q++, nd++) {
		if (nd == 19)
			return (NULL);
		v = v * 10 + (*q - '0');
	}
	if (q == qe)
		return (NULL);
	s->intv[k] = v;
	*seen |= 1u << k;
	return (q);
}

/*
 * Read an element that is exactly an object of the rule's ints, each
 * once, as plain unsigned integers with no white space, straight into
 * values: the common shape of StorageList declarations.  p is after the
 * '{'.  Anything else returns p unchanged for json_flat and jsmn, which
 * then judge it and word any error.
 */
static const char *
json_ints(struct json_stream *s, const char *p, const char *e)
{
	const unsigned char	*q = (const unsigned char *)p;
	const unsigned char	*qe = (const unsigned char *)e;
	unsigned int		 seen = 0;
	int			 i;

	if (s->intn == 0)
		return (p);
	for (i = 0;; i++) {
		if (q == qe ||
		    (q = json_ints_member(s, q, qe, i, &seen)) == NULL)
			return (p);
		if (*q == '}')
			break;
		if (*q++ != ',')
			return (p);
	}
	if (seen != (1u << s->intn) - 1)
		return (p);
	s->intsok = 1;
	s->depth--;
	s->fast = -1;
	if (json_value_end(s, (const char *)q + 1) == -1)
		return (NULL);
	return ((const char *)q + 1);
}

/* Open an object or array at p. */
static const char *
json_open(struct json_stream *s, const char *p)
{
	const char	*q;

	if (s->exp != X_VALUE && s->exp != X_VALUE_OR_END)
		return (json_unexpected(s, p));
	if (json_value_start(s, *p, p) == -1)
		return (NULL);
	s->depth++;
	s->exp = *p == '{' ? X_KEY_OR_END : X_VALUE_OR_END;
	if (s->skip >= 0 || (s->cap >= 0 && s->kids[s->depth] == NULL))
		s->fast = s->depth - 1;
	if (s->flat) {
		s->flat = 0;
		if (s->ints != NULL && (q = json_ints(s, p + 1,
		    s->chunk_end)) != p + 1)
			return (q);
		return (json_flat(s, p + 1, s->chunk_end));
	}
	return (p + 1);
}

/* Close an object or array at p. */
static const char *
json_close(struct json_stream *s, const char *p)
{
	char	t = *p == '}' ? '{' : '[';

	if (s->depth == 0 || s->type[s->depth] != t)
		return (json_unexpected(s, p));
	if (s->exp != X_COMMA_OR_END && s->exp != (t == '{' ?
	    X_KEY_OR_END : X_VALUE_OR_END))
		return (json_unexpected(s, p));
	s->depth--;
	if (json_value_end(s, p + 1) == -1)
		return (NULL);
	return (p + 1);
}

/* Start a string at p, a key or a value. */
static const char *
json_quote(struct json_stream *s, const char *p)
{
	int	d = s->depth;

	if (s->exp == X_KEY_OR_END || s->exp == X_KEY) {
		s->strkey = 1;
		s->match[d] = NULL;
		s->collect = s->skip < 0 && s->kids[d] != NULL;
		s->kstart = p + 1;
		s->keylen = 0;
		s->keylong = 0;
	} else if (s->exp == X_VALUE || s->exp == X_VALUE_OR_END) {
		s->strkey = 0;
		if (json_value_start(s, '"', p) == -1)
			return (NULL);
	} else
		return (json_unexpected(s, p));
	s->in = IN_STR;
	return (p + 1);
}

/* Scan one chunk; NULL on error. */
static const char *
json_scan(struct json_stream *s, const char *p, const char *e)
{
	while (p != NULL && p < e) {
		if (s->fast >= 0) {
			p = s->skip >= 0 ? json_skim(s, p, e) :
			    json_fast(s, p, e);
			continue;
		}
		if (s->in == IN_PRIM) {
			p = json_prim(s, p, e);
			continue;
		}
		if (s->in != IN_NONE) {
			p = json_string(s, p, e);
			continue;
		}
		switch (json_cls[(unsigned char)*p]) {
		case C_WS:
			p++;
			break;
		case C_LBRACE:
		case C_LBRACK:
			p = json_open(s, p);
			break;
		case C_RBRACE:
		case C_RBRACK:
			p = json_close(s, p);
			break;
		case C_COMMA:
			if (s->exp != X_COMMA_OR_END)
				return (json_unexpected(s, p));
			s->exp = s->type[s->depth] == '{' ? X_KEY : X_VALUE;
			p++;
			break;
		case C_COLON:
			if (s->exp != X_COLON)
				return (json_unexpected(s, p));
			s->exp = X_VALUE;
			p++;
			break;
		case C_QUOTE:
			p = json_quote(s, p);
			break;
		case C_PRIM:
			if (s->exp != X_VALUE && s->exp != X_VALUE_OR_END)
				return (json_unexpected(s, p));
			if (json_value_start(s, 'p', p) == -1)
				return (NULL);
			s->in = IN_PRIM;
			break;
		default:
			return (json_unexpected(s, p));
		}
	}
	return (p);
}

/* Feed the next chunk of the body; 0, or -1 with json_stream_error. */
int
json_stream_feed(struct json_stream *s, const void *buf, size_t len)
{
	const char	*p = buf;

	if (s->failed)
		return (-1);
	s->chunk = p;
	s->chunk_end = p + len;
	s->estart = NULL;
	if (s->cap >= 0 && s->skip < 0)
		s->run = p;
	if (s->fast < 0 && s->in != IN_NONE && s->in != IN_PRIM && s->strkey)
		s->kstart = p;
	if (json_scan(s, p, p + len) == NULL)
		return (-1);
	if (s->cap >= 0 && s->skip < 0 && s->run != NULL &&
	    json_buf_add(&s->ebuf, s->run, p + len - s->run) == -1)
		return (json_stream_fail(s, "element too large"));
	if (s->fast < 0 && s->in != IN_NONE && s->in != IN_PRIM && s->strkey &&
	    s->collect)
		json_key_add(s, s->kstart, p + len - s->kstart);
	s->offset += len;
	return (0);
}

/* The body is complete: check it ended well; 0 or -1. */
int
json_stream_end(struct json_stream *s)
{
	if (s->failed)
		return (-1);
	if (s->rpcpend && s->exp == X_DONE)
		return (json_rpc_apply(s));	/* no id came */
	if (s->exp == X_VALUE && s->depth == 0 && s->in == IN_NONE)
		return (json_stream_fail(s, "empty body"));
	if (s->exp != X_DONE || s->in != IN_NONE)
		return (json_stream_fail(s, "truncated body after %zu bytes",
		    s->offset));
	if (!s->seen_result)
		return (json_stream_fail(s, "no result in the response"));
	if (s->wantid && (!s->seen_id || s->idnull))
		return (json_stream_fail(s, "%s in the response",
		    s->idnull ? "null id" : "no id"));
	return (json_emit(s, JSON_EV_END, NULL));
}

/* The token i of an element, or NULL when out of range. */
static const jsmntok_t *
json_tok(const struct json_elem *e, int i)
{
	if (i < 0 || i >= e->ntok)
		return (NULL);
	return ((const jsmntok_t *)e->tok + i);
}

/* Type of token i, with literals checked; JSON_INVALID if none. */
int
json_type(struct json_elem *e, int i)
{
	const jsmntok_t	*t;
	const char	*p;
	size_t		 n;

	if ((t = json_tok(e, i)) == NULL)
		return (JSON_INVALID);
	switch (t->type) {
	case JSMN_OBJECT:
		return (JSON_OBJECT);
	case JSMN_ARRAY:
		return (JSON_ARRAY);
	case JSMN_STRING:
		return (JSON_STRING);
	default:
		break;
	}
	p = e->buf + t->start;
	n = t->end - t->start;
	if (*p == '-' || (*p >= '0' && *p <= '9'))
		return (JSON_NUMBER);
	if (n == 4 && memcmp(p, "true", 4) == 0)
		return (JSON_TRUE);
	if (n == 5 && memcmp(p, "false", 5) == 0)
		return (JSON_FALSE);
	if (n == 4 && memcmp(p, "null", 4) == 0)
		return (JSON_NULL);
	e->why = "invalid literal";
	return (JSON_INVALID);
}

/* Members of an object or items of an array at token i. */
int
json_size(const struct json_elem *e, int i)
{
	const jsmntok_t	*t;

	if ((t = json_tok(e, i)) == NULL)
		return (0);
	return (t->size);
}

/* The token after the value at i and everything inside it. */
int
json_next(const struct json_elem *e, int i)
{
	const jsmntok_t	*t = e->tok;
	int		 j;

	for (j = i + 1; j < e->ntok && t[j].start < t[i].end; j++)
		;
	return (j);
}

/* The raw text of token i (escapes not decoded), or NULL. */
const char *
json_raw(const struct json_elem *e, int i, size_t *len)
{
	const jsmntok_t	*t;

	if ((t = json_tok(e, i)) == NULL)
		return (NULL);
	*len = t->end - t->start;
	return (e->buf + t->start);
}

/* Whether string token i decodes to s. */
int
json_streq(struct json_elem *e, int i, const char *s)
{
	const jsmntok_t	*t;
	const char	*p, *why;
	char		 buf[JSON_KEY_MAX + 1];
	size_t		 n;
	int		 len;

	if ((t = json_tok(e, i)) == NULL || t->type != JSMN_STRING)
		return (0);
	p = e->buf + t->start;
	n = t->end - t->start;
	if (n == 0 || (*p != *s && *p != '\\'))
		return (n == 0 && *s == '\0');
	len = strlen(s);
	if (n == (size_t)len && memcmp(p, s, n) == 0)
		return (1);
	if (n <= (size_t)len || memchr(p, '\\', n) == NULL)
		return (0);		/* escapes only make text longer */
	if ((len = json_unescape(p, n, buf, sizeof(buf), &why)) == -1)
		return (0);
	return (strcmp(buf, s) == 0);
}

/* The value of member key of the object at i, or -1 with why. */
int
json_get(struct json_elem *e, int i, const char *key)
{
	int	k, n;

	if (json_type(e, i) != JSON_OBJECT) {
		e->why = "not an object";
		return (-1);
	}
	n = json_size(e, i);
	for (k = 0, i++; k < n && i + 1 < e->ntok; k++) {
		if (json_streq(e, i, key))
			return (i + 1);
		i = json_next(e, i + 1);
	}
	e->why = "missing";
	return (-1);
}

/* Decode string token i into buf; its length, or -1 with why. */
int
json_str(struct json_elem *e, int i, char *buf, size_t len)
{
	const jsmntok_t	*t;

	if (json_type(e, i) != JSON_STRING) {
		e->why = json_type(e, i) == JSON_NULL ? "null" :
		    "not a string";
		return (-1);
	}
	t = json_tok(e, i);
	return (json_unescape(e->buf + t->start, t->end - t->start, buf,
	    len, &e->why));
}

/* Decode string token i into a new string, or NULL with why. */
char *
json_strdup(struct json_elem *e, int i)
{
	const jsmntok_t	*t;
	char		*p;

	if (json_type(e, i) != JSON_STRING) {
		e->why = json_type(e, i) == JSON_NULL ? "null" :
		    "not a string";
		return (NULL);
	}
	t = json_tok(e, i);
	if ((p = malloc(t->end - t->start + 1)) == NULL) {
		e->why = "out of memory";
		return (NULL);
	}
	if (json_unescape(e->buf + t->start, t->end - t->start, p,
	    t->end - t->start + 1, &e->why) == -1) {
		free(p);
		return (NULL);
	}
	return (p);
}

/* Check a JSON integer at p; its magnitude and sign, or -1 with why. */
static int
json_int(const char *p, size_t n, uint64_t *mag, int *neg,
    const char **why)
{
	uint64_t	v = 0;
	size_t		i = 0, k;

	*neg = n > 0 && p[0] == '-';
	i = *neg;
	if (i == n || p[i] < '0' || p[i] > '9' ||
	    (p[i] == '0' && i + 1 < n && p[i + 1] >= '0' && p[i + 1] <= '9')) {
		*why = "not a number";
		return (-1);
	}
	for (k = 0; i < n && p[i] >= '0' && p[i] <= '9'; i++, k++) {
		if (k >= 19 && (k > 19 ||
		    v > (UINT64_MAX - (p[i] - '0')) / 10)) {
			*why = "number out of range";
			return (-1);
		}
		v = v * 10 + (p[i] - '0');
	}
	if (i != n) {
		*why = p[i] == '.' || p[i] == 'e' || p[i] == 'E' ?
		    "not an integer" : "not a number";
		return (-1);
	}
	*mag = v;
	return (0);
}

/* Read an unsigned 64-bit integer at token i; -1 with why. */
int
json_u64(struct json_elem *e, int i, uint64_t *v)
{
	const jsmntok_t	*t;
	int		 neg, type;

	if ((t = json_tok(e, i)) == NULL || t->type != JSMN_PRIMITIVE ||
	    (e->buf[t->start] != '-' && (e->buf[t->start] < '0' ||
	    e->buf[t->start] > '9'))) {
		type = json_type(e, i);
		e->why = type == JSON_NULL ? "null" : "not a number";
		return (-1);
	}
	if (json_int(e->buf + t->start, t->end - t->start, v, &neg,
	    &e->why) == -1)
		return (-1);
	if (neg && *v != 0) {
		e->why = "negative";
		return (-1);
	}
	return (0);
}

/* Read a signed 64-bit integer at token i; -1 with why. */
int
json_i64(struct json_elem *e, int i, int64_t *v)
{
	const jsmntok_t	*t;
	uint64_t	 mag;
	int		 neg, type;

	if ((type = json_type(e, i)) != JSON_NUMBER) {
		e->why = type == JSON_NULL ? "null" : "not a number";
		return (-1);
	}
	t = json_tok(e, i);
	if (json_int(e->buf + t->start, t->end - t->start, &mag, &neg,
	    &e->why) == -1)
		return (-1);
	if (mag > (uint64_t)INT64_MAX + neg) {
		e->why = "number out of range";
		return (-1);
	}
	*v = neg ? (int64_t)(0 - mag) : (int64_t)mag;
	return (0);
}

/* Read a boolean at token i; -1 with why. */
int
json_bool(struct json_elem *e, int i, int *v)
{
	switch (json_type(e, i)) {
	case JSON_TRUE:
		*v = 1;
		return (0);
	case JSON_FALSE:
		*v = 0;
		return (0);
	case JSON_NULL:
		e->why = "null";
		return (-1);
	default:
		e->why = "not a boolean";
		return (-1);
	}
}

/* Read an RFC 3339 time at token i; -1 with why. */
int
json_time(struct json_elem *e, int i, struct json_time *tm)
{
	char	buf[64];
	int	n;

	if ((n = json_str(e, i, buf, sizeof(buf))) == -1)
		return (-1);
	if (json_time_parse(buf, n, tm) == -1) {
		e->why = "not an RFC 3339 time";
		return (-1);
	}
	return (0);
}

/* Read a UUID at token i; -1 with why. */
int
json_uuid(struct json_elem *e, int i, uint8_t u[16])
{
	char	buf[64];
	int	n;

	if ((n = json_str(e, i, buf, sizeof(buf))) == -1)
		return (-1);
	if (json_uuid_parse(buf, n, u) == -1) {
		e->why = "not a UUID";
		return (-1);
	}
	return (0);
}

/* Length of the valid UTF-8 sequence at p, or 0. */
static size_t
json_utf8(const unsigned char *p, size_t n)
{
	unsigned char	lo = 0x80, hi = 0xbf;
	size_t		len, i;

	if (p[0] < 0x80)
		return (1);
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else
		return (0);
	if (n < len || p[1] < lo || p[1] > hi)
		return (0);
	for (i = 2; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return (0);
	return (len);
}

/* Read the four hex digits of a \u escape at p. */
static long
json_hex4(const char *p)
{
	long	v = 0;
	int	i, c;

	for (i = 0; i < 4; i++) {
		c = (unsigned char)p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return (-1);
	}
	return (v);
}

/* Decode a \u escape (and its low surrogate) at p; code point or -1. */
static long
json_ucs(const char *p, size_t n, size_t *used)
{
	long	hi, lo;

	if (n < 6 || (hi = json_hex4(p + 2)) == -1)
		return (-1);
	*used = 6;
	if (hi >= 0xdc00 && hi <= 0xdfff)
		return (-1);
	if (hi < 0xd800 || hi > 0xdbff)
		return (hi);
	if (n < 12 || p[6] != '\\' || p[7] != 'u' ||
	    (lo = json_hex4(p + 8)) == -1 || lo < 0xdc00 || lo > 0xdfff)
		return (-1);
	*used = 12;
	return (0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00));
}

/* Write code point c as UTF-8 at q; the number of bytes. */
static size_t
json_put_utf8(char *q, long c)
{
	if (c < 0x80) {
		q[0] = c;
		return (1);
	}
	if (c < 0x800) {
		q[0] = 0xc0 | (c >> 6);
		q[1] = 0x80 | (c & 0x3f);
		return (2);
	}
	if (c < 0x10000) {
		q[0] = 0xe0 | (c >> 12);
		q[1] = 0x80 | ((c >> 6) & 0x3f);
		q[2] = 0x80 | (c & 0x3f);
		return (3);
	}
	q[0] = 0xf0 | (c >> 18);
	q[1] = 0x80 | ((c >> 12) & 0x3f);
	q[2] = 0x80 | ((c >> 6) & 0x3f);
	q[3] = 0x80 | (c & 0x3f);
	return (4);
}

/* Decode one escape at p into q; bytes read, or 0 with why. */
static size_t
json_escape(const char *p, size_t n, char *q, size_t *out,
    const char **why)
{
	static const char	 from[] = "\"\\/bfnrt";
	static const char	 to[] = "\"\\/\b\f\n\r\t";
	const char		*c;
	size_t			 used;
	long			 u;

	if (n >= 2 && p[1] != 'u' && p[1] != '\0' &&
	    (c = strchr(from, p[1])) != NULL) {
		*q = to[c - from];
		*out = 1;
		return (2);
	}
	if (n < 2 || p[1] != 'u' || (u = json_ucs(p, n, &used)) == -1) {
		*why = "invalid escape";
		return (0);
	}
	if (u == 0) {
		*why = "NUL character";
		return (0);
	}
	*out = json_put_utf8(q, u);
	return (used);
}

/*
 * Decode the raw text of a string (escapes, UTF-8 checked) into buf,
 * NUL-terminated.  Returns its length, or -1 with why set.
 */
int
json_unescape(const char *p, size_t n, char *buf, size_t len,
    const char **why)
{
	char	tmp[4];
	size_t	i = 0, o = 0, k, out;

	while (i < n) {
		if ((unsigned char)p[i] >= 0x20 && (unsigned char)p[i] < 0x80 &&
		    p[i] != '\\') {
			if (o + 1 >= len) {
				*why = "too long";
				return (-1);
			}
			buf[o++] = p[i++];
			continue;
		}
		if (p[i] == '\\') {
			if ((k = json_escape(p + i, n - i, tmp, &out,
			    why)) == 0)
				return (-1);
		} else if ((unsigned char)p[i] < 0x20 || (k = json_utf8(
		    (const unsigned char *)p + i, n - i)) == 0) {
			*why = (unsigned char)p[i] < 0x20 ?
			    "control character" : "invalid UTF-8";
			return (-1);
		} else
			memcpy(tmp, p + i, out = k);
		if (o + out >= len) {
			*why = "too long";
			return (-1);
		}
		memcpy(buf + o, tmp, out);
		i += k;
		o += out;
	}
	if (len == 0) {
		*why = "too long";
		return (-1);
	}
	buf[o] = '\0';
	return ((int)o);
}

/* Read n decimal digits at p into v; -1 if one is not a digit. */
static int
json_digits(const char *p, int n, int *v)
{
	int	i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return (-1);
		*v = *v * 10 + (p[i] - '0');
	}
	return (0);
}

/* Days from 1970-01-01 to the civil date y-m-d. */
static int64_t
json_days(int64_t y, int m, int d)
{
	int64_t	era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468);
}

/* Whether d is a day of month m of year y. */
static int
json_mday_ok(int y, int m, int d)
{
	static const int	mdays[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	int			leap;

	if (m < 1 || m > 12 || d < 1)
		return (0);
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return (d <= mdays[m - 1] + (m == 2 && leap));
}

/* Read the fraction and zone after the seconds; offset in seconds. */
static int
json_time_tail(const char *p, size_t n, int32_t *nsec, int *off)
{
	size_t	i = 0;
	int	k = 0, hh, mm;

	*nsec = 0;
	if (n > 0 && p[0] == '.') {
		for (i = 1; i < n && p[i] >= '0' && p[i] <= '9'; i++)
			if (k++ < 9)
				*nsec = *nsec * 10 + (p[i] - '0');
		if (i == 1)
			return (-1);
		for (; k < 9; k++)
			*nsec *= 10;
	}
	if (n - i == 1 && p[i] == 'Z') {
		*off = 0;
		return (0);
	}
	if (n - i != 6 || (p[i] != '+' && p[i] != '-') || p[i + 3] != ':' ||
	    json_digits(p + i + 1, 2, &hh) == -1 ||
	    json_digits(p + i + 4, 2, &mm) == -1 || hh > 23 || mm > 59)
		return (-1);
	*off = (hh * 60 + mm) * 60 * (p[i] == '-' ? -1 : 1);
	return (0);
}

/* Parse an RFC 3339 time as Go writes it; -1 if it is not one. */
int
json_time_parse(const char *p, size_t n, struct json_time *t)
{
	int	y, mo, d, h, mi, s, off;

	if (n < 20 || p[4] != '-' || p[7] != '-' || p[10] != 'T' ||
	    p[13] != ':' || p[16] != ':' ||
	    json_digits(p, 4, &y) == -1 || json_digits(p + 5, 2, &mo) == -1 ||
	    json_digits(p + 8, 2, &d) == -1 ||
	    json_digits(p + 11, 2, &h) == -1 ||
	    json_digits(p + 14, 2, &mi) == -1 ||
	    json_digits(p + 17, 2, &s) == -1)
		return (-1);
	if (!json_mday_ok(y, mo, d) || h > 23 || mi > 59 || s > 59 ||
	    json_time_tail(p + 19, n - 19, &t->nsec, &off) == -1)
		return (-1);
	t->sec = json_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - off;
	return (0);
}

/* Write t as RFC 3339 in UTC; with frac, nanoseconds as Go trims them. */
void
json_time_format(const struct json_time *t, int frac, char *buf,
    size_t len)
{
	int64_t	days, sod, z, era, doe, yoe, y, doy, mp, d, m;
	char	ns[16];
	int	i;

	days = t->sec / 86400;
	sod = t->sec % 86400;
	if (sod < 0) {
		sod += 86400;
		days--;
	}
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y = yoe + era * 400 + (m <= 2);
	ns[0] = '\0';
	if (frac && t->nsec != 0) {
		snprintf(ns, sizeof(ns), ".%09d", (int)t->nsec);
		for (i = 9; ns[i] == '0'; i--)
			ns[i] = '\0';
	}
	snprintf(buf, len, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld%sZ",
	    (long long)y, (long long)m, (long long)d, (long long)(sod / 3600),
	    (long long)(sod / 60 % 60), (long long)(sod % 60), ns);
}

/* Parse a UUID in its 36-character form; -1 if it is not one. */
int
json_uuid_parse(const char *p, size_t n, uint8_t u[16])
{
	long	v;
	size_t	i;
	int	k = 0;
	char	h[5] = "0000";

	if (n != 36)
		return (-1);
	for (i = 0; i < 36; i += 2) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (p[i] != '-')
				return (-1);
			i--;
			continue;
		}
		h[2] = p[i];
		h[3] = p[i + 1];
		if ((v = json_hex4(h)) == -1)
			return (-1);
		u[k++] = v;
	}
	return (0);
}

/* Write a UUID in lower case, 36 characters and a NUL. */
void
json_uuid_format(const uint8_t u[16], char buf[37])
{
	static const char	hex[] = "0123456789abcdef";
	int			i, o = 0;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			buf[o++] = '-';
		buf[o++] = hex[u[i] >> 4];
		buf[o++] = hex[u[i] & 15];
	}
	buf[o] = '\0';
}

/*
 * Copy a string from a miner into buf for a message: control bytes
 * become '?', and a string too long is cut at a character boundary
 * and ends in "...".
 */
const char *
json_safe(const char *s, char *buf, size_t len)
{
	size_t	i, n = strlen(s);

	if (len < 4) {
		if (len > 0)
			buf[0] = '\0';
		return (buf);
	}
	if (n >= len) {
		n = len - 4;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' :
		    s[i];
	if (n < strlen(s))
		memcpy(buf + n, "...", 4);
	else
		buf[n] = '\0';
	return (buf);
}
