;;;; package.lisp

(defpackage #:mcias-client
  (:use #:cl)
  (:documentation "Client for the MCIAS identity and access server's REST API.

Make a client with MAKE-CLIENT, call LOGIN, then any function of the canonical
surface (ME, VALIDATE-TOKEN, CREATE-ACCOUNT, ...). JSON objects come back as
EQUAL hash tables with string keys (arrays as lists, true/false as T/NIL, null as
NIL). Secrets in responses (tokens, passwords, TOTP secrets) are SECRET objects that
print as [REDACTED]; REVEAL returns the string. Every failure signals a subtype of
MCIAS-ERROR.")
  (:export
   ;; client
   #:mcias-client #:make-client #:client-base-url #:client-ca-file #:client-timeout
   #:client-token
   ;; secrets
   #:secret #:make-secret #:reveal
   ;; conditions
   #:mcias-error #:mcias-error-status #:mcias-error-code #:mcias-error-message
   #:mcias-bad-request #:mcias-unauthorized #:mcias-forbidden #:mcias-not-found
   #:mcias-conflict #:mcias-rate-limited #:mcias-error-retry-after #:mcias-vault-sealed
   #:mcias-server-error #:mcias-transport-error #:mcias-invalid-token
   ;; system
   #:health #:public-key #:jwks
   ;; auth
   #:login #:logout #:renew #:me #:change-password #:totp-enroll #:totp-confirm
   ;; tokens
   #:validate-token #:revoke-token #:issue-service-token #:list-tokens
   ;; accounts
   #:create-account #:list-accounts #:get-account #:update-account #:delete-account
   #:set-account-password #:remove-totp
   ;; roles and tags
   #:get-roles #:set-roles #:grant-role #:revoke-role #:get-tags #:set-tags
   ;; delegates
   #:list-delegates #:grant-delegate #:revoke-delegate
   ;; Postgres credentials
   #:get-pgcreds #:set-pgcreds #:list-pgcreds #:list-pgcreds-access
   #:grant-pgcreds-access #:revoke-pgcreds-access
   ;; audit, policy, vault
   #:audit-query #:policy-evaluate #:vault-status #:seal-vault #:unseal-vault
   ;; local verification
   #:verify-locally))
