;;;; api.lisp — the canonical surface: one function per REST call.

(in-package #:mcias-client)

(defparameter +account-fields+
  '("id" "username" "account_type" "status" "roles" "tags" "totp_enabled" "created_at" "updated_at"))

(defun account (what object)
  (require-fields what object +account-fields+))

(defun each (fn what list)
  (unless (listp list)
    (error 'mcias-transport-error :message (format nil "~A: invalid response: not an array" what)))
  (dolist (x list list) (funcall fn what x)))

;;; System

(defun health (client)
  "GET /v1/health: a table with \"status\" \"ok\", or \"sealed\" (not an error)
while the vault is sealed."
  (require-fields "GET /v1/health" (request client :get '("v1" "health") :auth nil :allow '(503)) '("status")))

(defun public-key (client)
  "GET /v1/keys/public: the Ed25519 token-signing key as a JWK table (kty, crv, x, kid)."
  (require-fields "GET /v1/keys/public" (request client :get '("v1" "keys" "public") :auth nil)
                  '("kty" "crv" "x" "kid")))

(defun jwks (client)
  "GET /.well-known/jwks.json: a table whose \"keys\" is a list of JWK tables."
  (let ((set (require-fields "GET /.well-known/jwks.json"
                             (request client :get '(".well-known" "jwks.json") :auth nil) '("keys"))))
    (each (lambda (w k) (require-fields w k '("kty" "crv" "x" "kid"))) "GET /.well-known/jwks.json"
          (field set "keys"))
    set))

;;; Auth

(defun token-response (what object)
  (wrap-secrets (require-fields what object '("token" "expires_at")) "token"))

(defun login (client username password &key totp-code audience)
  "POST /v1/auth/login (with TOTP-CODE when the account has TOTP; AUDIENCE binds the
token to one app, its aud). On success the client uses the new token from then on.
Returns a table with \"token\" (a SECRET) and \"expires_at\"."
  (let ((r (token-response "POST /v1/auth/login"
                           (request client :post '("v1" "auth" "login")
                                    :auth nil
                                    :body (json-object "username" username "password" password
                                                       "totp_code" (or totp-code :omit)
                                                       "audience" (or audience :omit))))))
    (setf (client-token client) (field r "token"))
    r))

(defun logout (client)
  "POST /v1/auth/logout: revokes the current token and forgets it. Returns NIL."
  (request client :post '("v1" "auth" "logout"))
  (setf (client-token client) nil)
  nil)

(defun renew (client &key audience)
  "POST /v1/auth/renew: a fresh token for the same session (a table like LOGIN's;
AUDIENCE asks for a token bound to that app); the old one is revoked and replaced in
the client."
  (let ((r (token-response "POST /v1/auth/renew"
                           (request client :post '("v1" "auth" "renew")
                                    :body (and audience (json-object "audience" audience))))))
    (setf (client-token client) (field r "token"))
    r))

(defun me (client)
  "GET /v1/auth/me: the caller's account table."
  (account "GET /v1/auth/me" (request client :get '("v1" "auth" "me"))))

(defun change-password (client &key current-password new-password)
  "PUT /v1/auth/password (humans): every other token of the account is revoked."
  (request client :put '("v1" "auth" "password")
           :body (json-object "current_password" current-password "new_password" new-password))
  nil)

(defun totp-enroll (client &key current-password)
  "POST /v1/auth/totp/enroll: a table with \"secret\" and \"otpauth_uri\" (both
SECRETs); TOTP is active only once confirmed with TOTP-CONFIRM. CURRENT-PASSWORD is
required (step-up): without it the server answers 403."
  (wrap-secrets (require-fields "POST /v1/auth/totp/enroll"
                                (request client :post '("v1" "auth" "totp" "enroll")
                                         :body (json-object "current_password"
                                                            (if current-password (reveal current-password) :omit)))
                                '("secret" "otpauth_uri"))
                "secret" "otpauth_uri"))

(defun totp-confirm (client code)
  "POST /v1/auth/totp/confirm: turns TOTP on with a current CODE."
  (request client :post '("v1" "auth" "totp" "confirm") :body (json-object "code" code))
  nil)

;;; Tokens

(defun validate-token (client token &key audience)
  "POST /v1/token/validate (no bearer needed). Returns the server's table: \"valid\"
T with \"sub\", \"username\", \"account_type\", \"roles\", \"jti\", \"issued_at\",
\"expires_at\" (and \"audience\" for a bound token); or \"valid\" NIL for a bad,
expired or revoked token, or one minted for another AUDIENCE than the one given."
  (let ((r (require-fields "POST /v1/token/validate"
                           (request client :post '("v1" "token" "validate")
                                    :auth nil :body (json-object "token" (reveal token)
                                                                 "audience" (or audience :omit)))
                           '("valid"))))
    (if (field r "valid")
        (require-fields "POST /v1/token/validate" r
                        '("sub" "username" "account_type" "roles" "jti" "issued_at" "expires_at"))
        r)))

(defun revoke-token (client jti)
  "DELETE /v1/token/{jti}."
  (request client :delete (list "v1" "token" jti))
  nil)

(defun issue-service-token (client account-id &key audience)
  "POST /v1/accounts/{id}/token: a system account's new token (\"token\" a SECRET,
\"expires_at\", \"jti\"; bound to AUDIENCE when given); its previous token is
revoked."
  (wrap-secrets (require-fields "POST /v1/accounts/{id}/token"
                                (request client :post (list "v1" "accounts" account-id "token")
                                         :body (and audience (json-object "audience" audience)))
                                '("token" "expires_at" "jti"))
                "token"))

(defun list-tokens (client account-id)
  "GET /v1/accounts/{id}/tokens: the account's tokens (jti, issued_at, expires_at,
revoked_at), never the tokens themselves."
  (each (lambda (w x) (require-fields w x '("jti" "issued_at" "expires_at")))
        "GET /v1/accounts/{id}/tokens"
        (request client :get (list "v1" "accounts" account-id "tokens"))))

;;; Accounts

(defun create-account (client &key username (account-type "human") password roles)
  "POST /v1/accounts (admin): ACCOUNT-TYPE \"human\" (with PASSWORD) or \"system\";
ROLES a list of strings. Returns the account table."
  (account "POST /v1/accounts"
           (request client :post '("v1" "accounts")
                    :body (json-object "username" username
                                       "account_type" account-type
                                       "password" (if password (reveal password) :omit)
                                       "roles" (if roles (json-array roles) :omit)))))

(defun list-accounts (client &key status)
  "GET /v1/accounts (admin): a list of account tables; deleted ones only with
STATUS \"deleted\"."
  (each #'account "GET /v1/accounts"
        (request client :get '("v1" "accounts") :query (list (cons "status" status)))))

(defun get-account (client id)
  "GET /v1/accounts/{id} (admin)."
  (account "GET /v1/accounts/{id}" (request client :get (list "v1" "accounts" id))))

(defun update-account (client id &key status)
  "PATCH /v1/accounts/{id} (admin): STATUS \"active\" or \"inactive\" (going
inactive revokes all its tokens). Returns the account table."
  (account "PATCH /v1/accounts/{id}"
           (request client :patch (list "v1" "accounts" id)
                    :body (json-object "status" (or status :omit)))))

(defun delete-account (client id)
  "DELETE /v1/accounts/{id} (admin): soft delete; its tokens are revoked and the
username stays reserved."
  (request client :delete (list "v1" "accounts" id))
  nil)

(defun set-account-password (client id password)
  "PUT /v1/accounts/{id}/password (admin): all the account's tokens are revoked."
  (request client :put (list "v1" "accounts" id "password")
           :body (json-object "password" (reveal password)))
  nil)

(defun remove-totp (client id)
  "DELETE /v1/accounts/{id}/totp (admin): turns the account's TOTP off."
  (request client :delete (list "v1" "accounts" id "totp"))
  nil)

;;; Roles and tags

(defun roles-of (what r)
  (field (require-fields what r '("roles")) "roles"))

(defun get-roles (client id)
  "GET /v1/accounts/{id}/roles: the list of role names."
  (roles-of "GET roles" (request client :get (list "v1" "accounts" id "roles"))))

(defun set-roles (client id roles)
  "PUT /v1/accounts/{id}/roles: replaces the set with ROLES; returns the new list."
  (roles-of "PUT roles" (request client :put (list "v1" "accounts" id "roles")
                                 :body (json-object "roles" (json-array roles)))))

(defun grant-role (client id role)
  "POST /v1/accounts/{id}/roles: adds ROLE; returns the new list."
  (roles-of "POST roles" (request client :post (list "v1" "accounts" id "roles")
                                  :body (json-object "role" role))))

(defun revoke-role (client id role)
  "DELETE /v1/accounts/{id}/roles/{role}: removes ROLE; returns the new list."
  (roles-of "DELETE role" (request client :delete (list "v1" "accounts" id "roles" role))))

(defun get-tags (client id)
  "GET /v1/accounts/{id}/tags: the list of tags."
  (field (require-fields "GET tags" (request client :get (list "v1" "accounts" id "tags")) '("tags"))
         "tags"))

(defun set-tags (client id tags)
  "PUT /v1/accounts/{id}/tags: replaces the set with TAGS; returns the new list."
  (field (require-fields "PUT tags" (request client :put (list "v1" "accounts" id "tags")
                                             :body (json-object "tags" (json-array tags)))
                         '("tags"))
         "tags"))

;;; Delegates

(defparameter +grant-fields+ '("grantee_id" "username" "granted_at"))

(defun grant (what object)
  (require-fields what object +grant-fields+))

(defun list-delegates (client id)
  "GET /v1/accounts/{id}/token/delegates: grant tables (grantee_id, username, granted_at)."
  (each #'grant "GET delegates" (request client :get (list "v1" "accounts" id "token" "delegates"))))

(defun grant-delegate (client id grantee-id)
  "POST /v1/accounts/{id}/token/delegates: lets GRANTEE-ID manage the system
account's token."
  (grant "POST delegates" (request client :post (list "v1" "accounts" id "token" "delegates")
                                  :body (json-object "grantee_id" grantee-id))))

(defun revoke-delegate (client id grantee-id)
  "DELETE /v1/accounts/{id}/token/delegates/{grantee_id}."
  (request client :delete (list "v1" "accounts" id "token" "delegates" grantee-id))
  nil)

;;; Postgres credentials

(defun get-pgcreds (client id)
  "GET /v1/accounts/{id}/pgcreds: host, port, database, username, and \"password\"
(a SECRET) for managers and the account itself."
  (wrap-secrets (require-fields "GET /v1/accounts/{id}/pgcreds"
                                (request client :get (list "v1" "accounts" id "pgcreds"))
                                '("host" "port" "database" "username"))
                "password"))

(defun set-pgcreds (client id &key host port database username password)
  "PUT /v1/accounts/{id}/pgcreds (admin): the password is stored encrypted."
  (request client :put (list "v1" "accounts" id "pgcreds")
           :body (json-object "host" host "port" port "database" database
                              "username" username "password" (reveal password)))
  nil)

(defun list-pgcreds (client)
  "GET /v1/pgcreds: every credential the caller may read (account_id, service, host,
port, database, username; never passwords)."
  (each (lambda (w x) (require-fields w x '("account_id" "service" "host" "port" "database" "username")))
        "GET /v1/pgcreds" (request client :get '("v1" "pgcreds"))))

(defun list-pgcreds-access (client id)
  "GET /v1/accounts/{id}/pgcreds/access: who may read the metadata."
  (each #'grant "GET pgcreds access" (request client :get (list "v1" "accounts" id "pgcreds" "access"))))

(defun grant-pgcreds-access (client id grantee-id)
  "POST /v1/accounts/{id}/pgcreds/access: lets GRANTEE-ID read the metadata."
  (grant "POST pgcreds access" (request client :post (list "v1" "accounts" id "pgcreds" "access")
                                       :body (json-object "grantee_id" grantee-id))))

(defun revoke-pgcreds-access (client id grantee-id)
  "DELETE /v1/accounts/{id}/pgcreds/access/{grantee_id}."
  (request client :delete (list "v1" "accounts" id "pgcreds" "access" grantee-id))
  nil)

;;; Audit, policy, vault

(defun audit-query (client &key account type since until limit cursor)
  "GET /v1/audit (admin): one page, newest first: a table with \"events\" (a list of
event tables) and \"next_cursor\" (NIL on the last page; pass it as CURSOR)."
  (let ((page (require-fields "GET /v1/audit"
                              (request client :get '("v1" "audit")
                                       :query (list (cons "account" account) (cons "type" type)
                                                    (cons "since" since) (cons "until" until)
                                                    (cons "limit" limit) (cons "cursor" cursor)))
                              '("events" "next_cursor"))))
    (each (lambda (w x) (require-fields w x '("id" "time" "type"))) "GET /v1/audit" (field page "events"))
    page))

(defun policy-evaluate (client &key subject-id action resource-type resource-id)
  "POST /v1/policy/evaluate (admin): what the engine would decide for SUBJECT-ID
doing ACTION on (RESOURCE-TYPE, RESOURCE-ID). Returns a table with \"effect\",
\"rule_id\", \"rule_description\"."
  (require-fields "POST /v1/policy/evaluate"
                  (request client :post '("v1" "policy" "evaluate")
                           :body (json-object "subject_id" subject-id "action" action
                                              "resource" (json-object "type" resource-type
                                                                      "id" (or resource-id :omit))))
                  '("effect")))

(defun vault-status (client)
  "GET /v1/vault/status: a table with \"sealed\"."
  (require-fields "GET /v1/vault/status" (request client :get '("v1" "vault" "status") :auth nil) '("sealed")))

(defun seal-vault (client)
  "POST /v1/vault/seal (admin)."
  (require-fields "POST /v1/vault/seal" (request client :post '("v1" "vault" "seal")) '("sealed")))

(defun unseal-vault (client passphrase)
  "POST /v1/vault/unseal (no bearer; rate limited per IP)."
  (require-fields "POST /v1/vault/unseal"
                  (request client :post '("v1" "vault" "unseal") :auth nil
                                                                 :body (json-object "passphrase" (reveal passphrase)))
                  '("sealed")))
