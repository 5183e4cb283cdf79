// What the playground opens with: one document of named operations for the common tasks
// (one tab, so a token pasted once serves them all), their variables, and the header
// editor's placeholder. test/playground.test.ts runs every operation against the schema.

/** The header editor's first contents; the placeholder is never sent (see client.ts). */
export const DEFAULT_HEADERS = JSON.stringify({ Authorization: "token <paste a token>" }, null, 2);

// The demo's organization (`npm run demo`), whose tokens the README suggests pasting here.
export const EXAMPLE_VARIABLES = JSON.stringify({ organization: "acme-corp", tokenName: "playground-ci" }, null, 2);

// Lines stay short: beside the open docs, the query editor shows about 42 characters.
export const EXAMPLE_OPERATIONS = `# Gatehouse GraphQL playground
#
# 1. Headers (below): replace
#    <paste a token> with a personal
#    (gtp_…) or org (gto_…) token. It is
#    not stored: a reload forgets it.
# 2. Put the cursor in an operation and
#    press Ctrl-Enter (or ▶, pick one).
#    Arguments: Variables (below).
# The docs (book icon) need no token.

# Who am I? Checks a token.
query WhoAmI {
  viewer {
    kind
    tokenId
    tokenExpiresAt
    user { login name isSiteAdmin }
    organizationToken {
      name
      organization { name }
    }
    organizations {
      role
      organization { name }
    }
  }
}

# Stacks of an organization you can READ.
query ListStacks($organization: String!) {
  organization(name: $organization) {
    stacks(first: 20) {
      totalCount
      nodes {
        fullyQualifiedName
        viewerPermission
        resourceCount
        lastUpdatedAt
        tags { name value }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}

# An organization token for CI (org
# admins; on the ENTERPRISE_GROWTH or
# BUSINESS_CRITICAL tier). The secret
# is shown once: store it now.
mutation CreateOrgToken(
  $organization: String!
  $tokenName: String!
) {
  createOrganizationAccessToken(input: {
    organization: $organization
    name: $tokenName
    description: "from the playground"
  }) {
    secret
    token { id name createdAt expiresAt }
  }
}

# The audit log, newest first (admins).
query AuditLog($organization: String!) {
  organization(name: $organization) {
    auditLogEventsConnection(first: 20) {
      totalCount
      nodes {
        timestamp
        event
        description
        user { login }
        tokenName
        sourceIp
        authFailure
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}
`;
