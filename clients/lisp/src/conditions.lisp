;;;; conditions.lisp — one base condition, a subtype per server error code.
;;;; Reports are built from the method, the path and the server's own (secret-free)
;;;; message only: never from a request body, a header or a token.

(in-package #:mcias-client)

(define-condition mcias-error (error)
  ((status :initarg :status :initform nil :reader mcias-error-status
           :documentation "HTTP status, or NIL when no response arrived.")
   (code :initarg :code :initform "internal" :reader mcias-error-code
         :documentation "The server's error code string, or \"transport\" /
\"invalid_token\" for the client-side kinds.")
   (message :initarg :message :initform "" :reader mcias-error-message
            :documentation "The server's message or a description of the failure."))
  (:report (lambda (c s)
             (format s "MCIAS ~A~@[ (HTTP ~D)~]: ~A"
                     (mcias-error-code c) (mcias-error-status c) (mcias-error-message c))))
  (:documentation "Base of every condition the client signals: carries the HTTP
STATUS, the server's CODE and a MESSAGE."))

(setf (documentation 'mcias-error-status 'function)
      "HTTP status of an MCIAS-ERROR, or NIL when no response arrived."
      (documentation 'mcias-error-code 'function)
      "The server's error code of an MCIAS-ERROR (e.g. \"not_found\")."
      (documentation 'mcias-error-message 'function)
      "The human-readable message of an MCIAS-ERROR.")

(define-condition mcias-bad-request (mcias-error) ()
  (:documentation "400 bad_request (also 413 payload_too_large and other 4xx):
malformed input, unknown field, bad id."))

(define-condition mcias-unauthorized (mcias-error) ()
  (:documentation "401 unauthorized: no, bad, expired or revoked token; failed login."))

(define-condition mcias-forbidden (mcias-error) ()
  (:documentation "403 forbidden: the policy engine denied the call."))

(define-condition mcias-not-found (mcias-error) ()
  (:documentation "404 not_found."))

(define-condition mcias-conflict (mcias-error) ()
  (:documentation "409 conflict, e.g. a username already taken."))

(define-condition mcias-rate-limited (mcias-error)
  ((retry-after :initarg :retry-after :initform nil :reader mcias-error-retry-after
                :documentation "Seconds from the server's Retry-After header, or NIL."))
  (:documentation "429 rate_limited; MCIAS-ERROR-RETRY-AFTER is the server's
Retry-After in seconds when it sent one."))

(setf (documentation 'mcias-error-retry-after 'function)
      "Seconds to wait before retrying (from Retry-After) of an MCIAS-RATE-LIMITED, or NIL.")

(define-condition mcias-vault-sealed (mcias-error) ()
  (:documentation "503 vault_sealed: the server's vault is sealed; unseal it first."))

(define-condition mcias-server-error (mcias-error) ()
  (:documentation "500 internal, or any other 5xx."))

(define-condition mcias-transport-error (mcias-error) ()
  (:default-initargs :code "transport")
  (:documentation "No usable answer: connection refused, TLS failure, timeout, a
redirect, or a body that is not the JSON shape the call expects."))

(define-condition mcias-invalid-token (mcias-error) ()
  (:default-initargs :code "invalid_token")
  (:documentation "VERIFY-LOCALLY rejected the token; the message says why (never
the token itself)."))

(defparameter +known-codes+
  '("bad_request" "unauthorized" "forbidden" "not_found" "conflict"
    "payload_too_large" "rate_limited" "vault_sealed" "internal"))

(defun code-for-status (status)
  (case status
    (400 "bad_request") (401 "unauthorized") (403 "forbidden") (404 "not_found")
    (409 "conflict") (413 "payload_too_large") (429 "rate_limited") (503 "vault_sealed")
    (t (if (>= status 500) "internal" "bad_request"))))

(defun condition-for-code (code)
  (cond ((string= code "unauthorized") 'mcias-unauthorized)
        ((string= code "forbidden") 'mcias-forbidden)
        ((string= code "not_found") 'mcias-not-found)
        ((string= code "conflict") 'mcias-conflict)
        ((string= code "rate_limited") 'mcias-rate-limited)
        ((string= code "vault_sealed") 'mcias-vault-sealed)
        ((string= code "internal") 'mcias-server-error)
        (t 'mcias-bad-request)))
