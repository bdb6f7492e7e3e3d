;;;; tests/unit.lisp — offline tests: secrets never printed, conditions, JSON, local
;;;; verification's header and signature checks.

(in-package #:mcias-client-tests)

(def-suite unit :description "Offline unit tests.")
(in-suite unit)

(defparameter +token+ "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2VjcmV0LXNpZ25hdHVyZQ")

(defun b64url (string)
  (string-right-trim "=" (substitute #\_ #\/ (substitute #\- #\+ (cl-base64:string-to-base64-string string)))))

(test client-never-prints-its-token
  (let ((c (make-client "https://auth.example.com" :token +token+)))
    (is (string= +token+ (client-token c)))
    (dolist (shown (list (prin1-to-string c) (princ-to-string c)
                         (with-output-to-string (s) (describe c s))))
      (is (null (search "c2VjcmV0" shown)))
      (is (search "REDACTED" shown)))
    (setf (client-token c) nil)
    (is (null (client-token c)))
    (is (search "token: none" (prin1-to-string c)))))

(test secrets-print-redacted
  (let ((s (make-secret "hunter2-hunter2")))
    (is (string= "hunter2-hunter2" (reveal s)))
    (is (null (search "hunter2" (prin1-to-string s))))
    (is (null (search "hunter2" (prin1-to-string (list s)))))
    (is (null (search "hunter2" (with-output-to-string (out) (describe s out)))))
    (is (string= "plain" (reveal "plain")))
    ;; A SECRET encodes as its string in a request body.
    (is (string= "{\"password\":\"hunter2-hunter2\"}" (to-json (json-object "password" s))))))

(test transport-error-text-has-no-token-or-password
  ;; Nothing listens on port 1: the connection is refused.
  (let ((c (make-client "http://127.0.0.1:1" :token +token+ :timeout 5)))
    (handler-case (progn (login c "alice" "a-password-that-is-secret") (fail "no error"))
      (mcias-transport-error (e)
        (let ((text (princ-to-string e)))
          (is (search "POST /v1/auth/login" text))
          (is (null (search "a-password-that-is-secret" text)))
          (is (null (mcias-error-status e)))
          (is (string= "transport" (mcias-error-code e))))))
    (handler-case (progn (me c) (fail "no error"))
      (mcias-transport-error (e)
        (is (null (search "c2VjcmV0" (princ-to-string e))))
        (is (null (search "c2VjcmV0" (prin1-to-string e))))))))

(test error-responses-map-to-conditions
  (flet ((sig (status body &optional retry)
           (handler-case (mcias-client::signal-api-error status body retry)
             (mcias-error (e) e))))
    (let ((e (sig 404 "{\"error\":\"no such account\",\"code\":\"not_found\"}")))
      (is (typep e 'mcias-not-found))
      (is (= 404 (mcias-error-status e)))
      (is (string= "not_found" (mcias-error-code e)))
      (is (string= "MCIAS not_found (HTTP 404): no such account" (princ-to-string e))))
    (let ((e (sig 429 "{\"error\":\"slow down\",\"code\":\"rate_limited\"}" "7")))
      (is (typep e 'mcias-rate-limited))
      (is (eql 7 (mcias-error-retry-after e))))
    (is (typep (sig 503 "<html>") 'mcias-vault-sealed))
    (is (typep (sig 502 "") 'mcias-server-error))
    (is (typep (sig 413 "{\"error\":\"too big\",\"code\":\"payload_too_large\"}") 'mcias-bad-request))
    (is (typep (sig 401 "{}") 'mcias-unauthorized))
    (is (typep (sig 403 "{}") 'mcias-forbidden))
    (is (typep (sig 409 "{}") 'mcias-conflict))
    (is (typep (sig 400 "{}") 'mcias-bad-request))
    (dolist (type '(mcias-bad-request mcias-unauthorized mcias-forbidden mcias-not-found
                    mcias-conflict mcias-rate-limited mcias-vault-sealed mcias-server-error
                    mcias-transport-error mcias-invalid-token))
      (is (subtypep type 'mcias-error)))))

(test base-url-rules
  (signals mcias-bad-request (make-client "http://auth.example.com"))
  (signals mcias-bad-request (make-client "not a url"))
  (signals mcias-bad-request (make-client "https://auth.example.com" :ca-file "/nonexistent/ca.pem"))
  (is (string= "https://a.example/x" (client-base-url (make-client "https://a.example/x/"))))
  (is (typep (make-client "http://127.0.0.1:8080") 'mcias-client)))

(test path-segments-are-encoded-and-dot-segments-refused
  (is (string= "a%2Fb%20c" (mcias-client::path-segment "a/b c")))
  (signals mcias-bad-request (mcias-client::path-segment ".."))
  (signals mcias-bad-request (mcias-client::path-segment ""))
  (is (string= "?limit=5&type=login_ok" (mcias-client::query-string '(("limit" . 5) ("x" . nil) ("type" . "login_ok"))))))

(test json-round-trip
  (let ((h (parse-json "{\"a\":[1,2],\"b\":true,\"c\":null,\"d\":{\"e\":\"f\"},\"g\":[]}")))
    (is (equal '(1 2) (field h "a")))
    (is (eq t (field h "b")))
    (is (null (field h "c")))
    (is (string= "f" (field (field h "d") "e")))
    (is (null (field h "g"))))
  (is (string= "{\"roles\":[]}" (to-json (json-object "roles" (vector)))))
  (is (string= "{\"a\":1}" (to-json (json-object "a" 1 "b" :omit)))))

(test verify-locally-checks-the-header-first
  ;; None of these reach the network: the header is refused before the JWKS is needed.
  (let ((c (make-client "https://auth.example.com")))
    (flet ((tok (header) (format nil "~A.~A.c2lnbmF0dXJl" (b64url header) (b64url "{\"sub\":\"x\"}"))))
      (dolist (h '("{\"alg\":\"none\",\"kid\":\"k\"}"
                   "{\"alg\":\"HS256\",\"kid\":\"k\"}"
                   "{\"alg\":\"RS256\",\"kid\":\"k\"}"
                   "{\"alg\":\"EdDSA\",\"kid\":\"k\",\"jku\":\"https://evil.example\"}"
                   "{\"alg\":\"EdDSA\",\"kid\":\"k\",\"jwk\":{}}"
                   "{\"alg\":\"EdDSA\",\"kid\":\"k\",\"x5u\":\"https://evil.example\"}"
                   "{\"alg\":\"EdDSA\",\"kid\":\"k\",\"crit\":[\"exp\"]}"))
        (handler-case (progn (verify-locally c (tok h) :issuer "https://auth.example.com")
                             (fail "accepted ~A" h))
          (mcias-invalid-token (e)
            (is (null (search "c2lnbmF0dXJl" (princ-to-string e))))))))
    (signals mcias-invalid-token (verify-locally c "garbage" :issuer "x"))
    (signals mcias-invalid-token (verify-locally c "a.b.c.d" :issuer "x"))))

(test ironclad-ed25519-rfc8032-vector
  ;; RFC 8032 test 1: the primitive verify-locally relies on.
  (let ((pub (ironclad:make-public-key
              :ed25519 :y (ironclad:hex-string-to-byte-array
                           "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")))
        (sig (ironclad:hex-string-to-byte-array
              "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"))
        (empty (make-array 0 :element-type '(unsigned-byte 8))))
    (is-true (ironclad:verify-signature pub empty sig))
    (let ((bad (copy-seq sig)))
      (setf (aref bad 10) (logxor 1 (aref bad 10)))
      (is-false (ironclad:verify-signature pub empty bad)))))

(test every-exported-symbol-has-a-docstring
  (do-external-symbols (s :mcias-client)
    (is (or (and (fboundp s) (documentation s 'function))
            (and (find-class s nil) (documentation s 'type))
            (and (boundp s) (documentation s 'variable)))
        "~S has no docstring" s)))

(test a-server-that-never-answers-is-a-transport-error-after-the-timeout
  ;; A socket that accepts and never answers: plain HTTP and the TLS handshake both time out.
  (let ((srv (make-instance 'sb-bsd-sockets:inet-socket :type :stream :protocol :tcp)))
    (unwind-protect
         (progn
           (sb-bsd-sockets:socket-bind srv #(127 0 0 1) 0)
           (sb-bsd-sockets:socket-listen srv 5)
           (let ((port (nth-value 1 (sb-bsd-sockets:socket-name srv))))
             (dolist (scheme '("http" "https"))
               (let ((c (make-client (format nil "~A://127.0.0.1:~D" scheme port) :timeout 1))
                     (start (get-internal-real-time)))
                 (handler-case (progn (health c) (fail "~A: no error" scheme))
                   (mcias-transport-error (e)
                     (is (search "timed out" (princ-to-string e)))
                     (is (< (/ (- (get-internal-real-time) start) internal-time-units-per-second) 10))))))))
      (sb-bsd-sockets:socket-close srv))))

(defun one-shot-server (bodies)
  "Serves each body once, in order, as a 200 JSON answer on plain HTTP over loopback
(a stand-in for a server of another version); returns its base URL and the socket."
  (let ((srv (make-instance 'sb-bsd-sockets:inet-socket :type :stream :protocol :tcp)))
    (sb-bsd-sockets:socket-bind srv #(127 0 0 1) 0)
    (sb-bsd-sockets:socket-listen srv 5)
    (sb-thread:make-thread
     (lambda ()
       (ignore-errors
        (dolist (body bodies)
          (let* ((s (sb-bsd-sockets:socket-accept srv))
                 (stream (sb-bsd-sockets:socket-make-stream s :input t :output t :element-type :default
                                                              :external-format :latin-1 :buffering :full)))
            ;; Read the request head.
            (loop for line = (read-line stream nil "")
                  until (string= (string-right-trim '(#\Return) line) ""))
            (format stream "HTTP/1.1 200 OK~C~Ccontent-type: application/json~C~Ccontent-length: ~D~C~Cconnection: close~C~C~C~C~A"
                    #\Return #\Newline #\Return #\Newline (length body) #\Return #\Newline
                    #\Return #\Newline #\Return #\Newline body)
            (finish-output stream)
            (sb-bsd-sockets:socket-close s))))))
    (values (format nil "http://127.0.0.1:~D" (nth-value 1 (sb-bsd-sockets:socket-name srv))) srv)))

(test unknown-fields-are-ignored-and-missing-ones-are-an-error
  (multiple-value-bind (url srv)
      (one-shot-server
       (list "{\"id\":\"i\",\"username\":\"alice\",\"account_type\":\"human\",\"status\":\"active\",\"roles\":[],\"tags\":[],\"totp_enabled\":false,\"created_at\":\"t\",\"updated_at\":\"t\",\"added_later\":{\"x\":1}}"
             "{\"id\":\"i\",\"account_type\":\"human\",\"status\":\"active\",\"roles\":[],\"tags\":[],\"totp_enabled\":false,\"created_at\":\"t\",\"updated_at\":\"t\"}"
             "not json"))
    (unwind-protect
         (let ((c (make-client url :token +token+ :timeout 10)))
           (is (string= "alice" (field (me c) "username")))
           (handler-case (progn (me c) (fail "missing field accepted"))
             (mcias-transport-error (e)
               (is (search "missing field username" (princ-to-string e)))))
           (handler-case (progn (me c) (fail "non-JSON accepted"))
             (mcias-transport-error (e)
               (is (search "not JSON" (princ-to-string e)))
               (is (null (search "c2VjcmV0" (princ-to-string e)))))))
      (sb-bsd-sockets:socket-close srv))))
