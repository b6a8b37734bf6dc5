/* SPDX-License-Identifier: Apache-2.0 */
#ifndef OVSDB_DATA_H
#define OVSDB_DATA_H 1

/* RFC 7047 §5.1 values: UUIDs, atoms and datums.
 *
 * A datum is the value of one column: 'n' atoms in 'keys' (and, for maps,
 * 'values'), sorted by key with no duplicate keys, so equality, lookups
 * and set algebra are linear merges.  Scalars are datums with n == 1. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include "error.h"
#include "schema.h"
#include "vhost/compiler.h"

struct ovsdb_uuid {
    uint8_t b[16];
};

#define OVSDB_UUID_LEN 36

/* Random (version 4) UUID. */
void ovsdb_uuid_generate(struct ovsdb_uuid *);
void ovsdb_uuid_zero(struct ovsdb_uuid *);
bool ovsdb_uuid_is_zero(const struct ovsdb_uuid *);
int ovsdb_uuid_compare(const struct ovsdb_uuid *, const struct ovsdb_uuid *);
bool ovsdb_uuid_equals(const struct ovsdb_uuid *, const struct ovsdb_uuid *);
uint32_t ovsdb_uuid_hash(const struct ovsdb_uuid *);
/* Strict 8-4-4-4-12 hex form (RFC 7047 §3.1 <uuid>). */
int ovsdb_uuid_from_string(struct ovsdb_uuid *, const char *) RSW_MUST_CHECK;
/* Writes OVSDB_UUID_LEN characters plus a NUL into 'buf'. */
void ovsdb_uuid_format(const struct ovsdb_uuid *,
                       char buf[OVSDB_UUID_LEN + 1]);

union ovsdb_atom {
    int64_t integer;
    double real;
    bool boolean;
    char *string;                   /* owned, valid UTF-8 */
    struct ovsdb_uuid uuid;
};

/* Default atom of a type (0, 0.0, false, "", all-zero UUID). */
void ovsdb_atom_init_default(union ovsdb_atom *, enum ovsdb_atomic_type);
void ovsdb_atom_clone(union ovsdb_atom *dst, const union ovsdb_atom *src,
                      enum ovsdb_atomic_type);
void ovsdb_atom_destroy(union ovsdb_atom *, enum ovsdb_atomic_type);
int ovsdb_atom_compare(const union ovsdb_atom *, const union ovsdb_atom *,
                       enum ovsdb_atomic_type);
uint32_t ovsdb_atom_hash(const union ovsdb_atom *, enum ovsdb_atomic_type,
                         uint32_t basis);
/* Checks the base type's constraints (enum, ranges, length); reference
 * existence is a commit-time check (RFC 7047 §4.1.3). */
int ovsdb_atom_check_constraints(const union ovsdb_atom *,
                                 const struct ovsdb_base_type *,
                                 struct ovsdb_error *) RSW_MUST_CHECK;
json_object *ovsdb_atom_to_json(const union ovsdb_atom *,
                                enum ovsdb_atomic_type);

/* Maps RFC 7047 <named-uuid> names to UUIDs within one transaction.  A
 * name may be used before the insert that defines it (OVS semantics); the
 * transaction verifies at the end that every used name was defined. */
struct ovsdb_symtab;
struct ovsdb_symtab *ovsdb_symtab_create(void);
void ovsdb_symtab_destroy(struct ovsdb_symtab *);
/* Finds or adds 'name'; returns its UUID. */
const struct ovsdb_uuid *ovsdb_symtab_use(struct ovsdb_symtab *,
                                          const char *name);
/* Marks 'name' as defined by an insert; -EEXIST if already defined. */
int ovsdb_symtab_define(struct ovsdb_symtab *, const char *name,
                        struct ovsdb_uuid *uuid) RSW_MUST_CHECK;
/* First name used but never defined, or NULL. */
const char *ovsdb_symtab_first_undefined(const struct ovsdb_symtab *);

struct ovsdb_datum {
    size_t n;
    union ovsdb_atom *keys;
    union ovsdb_atom *values;       /* NULL unless the type is a map */
};

void ovsdb_datum_init_empty(struct ovsdb_datum *);
/* The RFC 7047 §5.2.1 default for a column: empty when n_min is 0, else a
 * single default atom (the smallest enum member when an enum is given). */
void ovsdb_datum_init_default(struct ovsdb_datum *, const struct ovsdb_type *);
void ovsdb_datum_clone(struct ovsdb_datum *dst, const struct ovsdb_datum *,
                       const struct ovsdb_type *);
void ovsdb_datum_destroy(struct ovsdb_datum *, const struct ovsdb_type *);
void ovsdb_datum_swap(struct ovsdb_datum *, struct ovsdb_datum *);
bool ovsdb_datum_equals(const struct ovsdb_datum *, const struct ovsdb_datum *,
                        const struct ovsdb_type *);
int ovsdb_datum_compare(const struct ovsdb_datum *,
                        const struct ovsdb_datum *,
                        const struct ovsdb_type *);
uint32_t ovsdb_datum_hash(const struct ovsdb_datum *,
                          const struct ovsdb_type *, uint32_t basis);

/* Parses RFC 7047 §5.1 notation: an atom, ["set",[...]], ["map",[...]],
 * ["uuid",...] or ["named-uuid",...] ('symtab' may be NULL to refuse named
 * UUIDs).  Checks the full type (size range and base constraints) unless
 * 'relaxed', which parses only the atomic types (conditions and mutation
 * arguments, RFC 7047 §5.1). */
int ovsdb_datum_from_json(struct ovsdb_datum *, const struct ovsdb_type *,
                          json_object *, struct ovsdb_symtab *,
                          bool relaxed, struct ovsdb_error *) RSW_MUST_CHECK;
/* Single atom of 'base' (no constraint checks), for enum lists and
 * mutation arguments. */
int ovsdb_atom_from_json(union ovsdb_atom *, const struct ovsdb_base_type *,
                         json_object *, struct ovsdb_symtab *,
                         struct ovsdb_error *) RSW_MUST_CHECK;
json_object *ovsdb_datum_to_json(const struct ovsdb_datum *,
                                 const struct ovsdb_type *);
/* Size range and per-atom constraints of 'type'. */
int ovsdb_datum_check_constraints(const struct ovsdb_datum *,
                                  const struct ovsdb_type *,
                                  const char *what,
                                  struct ovsdb_error *) RSW_MUST_CHECK;

/* Sorts keys and merges duplicates.  For maps a duplicate key with a
 * different value is an error (-EINVAL); exact duplicates are dropped when
 * 'dedup', else they are an error too. */
int ovsdb_datum_sort(struct ovsdb_datum *, const struct ovsdb_type *,
                     bool dedup) RSW_MUST_CHECK;
/* Index of 'key' among the datum's keys, or -1. */
ptrdiff_t ovsdb_datum_find_key(const struct ovsdb_datum *,
                               const union ovsdb_atom *,
                               enum ovsdb_atomic_type);
/* Whether every element (key, or key-value pair for maps) of 'a' is in
 * 'b' (RFC 7047 §5.1 "includes"). */
bool ovsdb_datum_includes_all(const struct ovsdb_datum *a,
                              const struct ovsdb_datum *b,
                              const struct ovsdb_type *);
/* Whether no element of 'a' is in 'b' (RFC 7047 §5.1 "excludes"). */
bool ovsdb_datum_excludes_all(const struct ovsdb_datum *a,
                              const struct ovsdb_datum *b,
                              const struct ovsdb_type *);
/* dst := dst ∪ src; for maps, keys already in 'dst' keep their value
 * (RFC 7047 §5.1 "insert"). */
void ovsdb_datum_union(struct ovsdb_datum *dst, const struct ovsdb_datum *src,
                       const struct ovsdb_type *);
/* dst := dst − src.  For maps, 'src_type' tells whether 'src' is a map
 * (remove matching pairs) or a set of keys (RFC 7047 §5.1 "delete"). */
void ovsdb_datum_subtract(struct ovsdb_datum *dst,
                          const struct ovsdb_type *dst_type,
                          const struct ovsdb_datum *src,
                          const struct ovsdb_type *src_type);
/* Removes element 'idx' (for weak reference cleanup). */
void ovsdb_datum_remove_at(struct ovsdb_datum *, size_t idx,
                           const struct ovsdb_type *);

/* Compact changes of a set or map column, for log records (as OVSDB's own
 * file format does, so a commit record does not grow with the column):
 * 'diff' gets the elements of exactly one of 'old' and 'new' (sets), or
 * for maps the pairs removed (with their old value), added, or whose
 * value changed (with the new value).  Applying it to 'old' gives 'new':
 * a key absent from the datum is added, one present with the same value
 * (or any set element present) is removed, one present with another
 * value takes the diff's value.  Sizes are not checked. */
void ovsdb_datum_diff(struct ovsdb_datum *diff, const struct ovsdb_datum *old,
                      const struct ovsdb_datum *new,
                      const struct ovsdb_type *);
void ovsdb_datum_apply_diff(struct ovsdb_datum *,
                            const struct ovsdb_datum *diff,
                            const struct ovsdb_type *);

#endif
