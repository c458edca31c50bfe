// Package openapi generates a source definition for the declarative REST
// engine (package rest) from an OpenAPI 3.x document, by fixed rules and
// without a language model.
//
// List operations become resources: GET operations that return a list,
// and RPC-style POST operations whose name is a list verb, such as
// Ashby's candidate.list. Operations that change data are left out and
// listed in a comment at the end of the definition. For each resource the
// generator derives
//
//   - the data selector, from where the response schema holds a list;
//   - the paginator, from the request's paging parameters (cursor,
//     offset and limit, page) and the response's cursor, next link, total
//     and has-more members, or a documented Link header;
//   - the primary key, from an id member of the items;
//   - the parent, when a path parameter or a required parameter such as
//     jobId matches a field of another list's items;
//   - values for other required parameters, from the document's examples.
//
// Client auth comes from the security scheme that the document requires.
// Every value the document does not state is marked with a comment that
// starts with "guessed:".
//
// Documents are parsed with kin-openapi, which resolves $ref, and schemas
// are read with allOf merged and, of oneOf and anyOf, the branch that
// holds the data. In OpenAPI 3.1, members written next to a $ref apply
// too.
package openapi
