;;;; verify.lisp — local token verification with ironclad's Ed25519.

(in-package #:mcias-client)

(defparameter *jwks-min-refresh* 10
  "Seconds between two JWKS fetches caused by an unknown kid.")

(defun invalid-token (why)
  (error 'mcias-invalid-token :message why))

(defun parse-segment-json (segment)
  (let ((obj (handler-case (parse-json (babel:octets-to-string (base64url-decode segment) :encoding :utf-8))
               (mcias-invalid-token (e) (error e))
               (error () nil))))
    (unless (hash-table-p obj) (invalid-token "a segment is not a JSON object"))
    obj))

(defun split-jws (token)
  (let* ((p1 (position #\. token))
         (p2 (and p1 (position #\. token :start (1+ p1)))))
    (when (or (null p2) (position #\. token :start (1+ p2)))
      (invalid-token "not a compact JWS"))
    (values (subseq token 0 p1) (subseq token (1+ p1) p2) (subseq token (1+ p2)) (subseq token 0 p2))))

(defun refresh-jwks (client)
  "Fetches the JWKS into the cache (caller holds the lock)."
  (let ((table (make-hash-table :test 'equal)))
    (dolist (k (field (jwks client) "keys"))
      (when (and (equal (field k "kty") "OKP") (equal (field k "crv") "Ed25519"))
        (ignore-errors
         (let ((x (base64url-decode (field k "x"))))
           (when (= (length x) 32)
             (setf (gethash (field k "kid") table) (ironclad:make-public-key :ed25519 :y x)))))))
    (setf (slot-value client 'jwks) table
          (slot-value client 'jwks-fetched-at) (get-internal-real-time))))

(defun key-for-kid (client kid)
  (bt:with-lock-held ((slot-value client 'lock))
    (let ((fetched (slot-value client 'jwks-fetched-at)))
      (when (and (null (gethash kid (slot-value client 'jwks)))
                 (or (null fetched)
                     (>= (- (get-internal-real-time) fetched)
                         (* *jwks-min-refresh* internal-time-units-per-second))))
        (refresh-jwks client)))
    (gethash kid (slot-value client 'jwks))))

(defun verify-locally (client token &key issuer audience (leeway 60))
  "Verifies TOKEN without asking the server: the header (alg must be EdDSA; no jku,
x5u, jwk or crit), the Ed25519 signature against the server's JWKS (cached, refetched
when the kid is unknown, at most once per 10 s), iss equal to ISSUER (required), exp
and iat within LEEWAY seconds, and aud containing AUDIENCE when given. Returns the
claims table; signals MCIAS-INVALID-TOKEN otherwise.

It cannot see revocation or a disabled account: use VALIDATE-TOKEN where that matters."
  (unless (stringp issuer) (error 'mcias-bad-request :code "bad_request" :message "ISSUER is required"))
  (let ((token (reveal token)))
    (unless (stringp token) (invalid-token "not a compact JWS"))
    (multiple-value-bind (h p s signing-input) (split-jws token)
      (let ((header (parse-segment-json h)))
        (unless (equal (field header "alg") "EdDSA") (invalid-token "algorithm is not EdDSA"))
        (dolist (k '("jku" "x5u" "jwk" "crit"))
          (when (nth-value 1 (gethash k header)) (invalid-token "header carries a forbidden parameter")))
        (let* ((kid (field header "kid"))
               (key (and (stringp kid) (plusp (length kid)) (key-for-kid client kid)))
               (sig (base64url-decode s)))
          (unless key (invalid-token "unknown signing key (kid)"))
          (unless (and (= (length sig) 64)
                       (ironclad:verify-signature key (babel:string-to-octets signing-input :encoding :ascii) sig))
            (invalid-token "signature does not verify"))
          (let* ((claims (parse-segment-json p))
                 (now (unix-now))
                 (exp (field claims "exp"))
                 (iat (field claims "iat"))
                 (aud (field claims "aud")))
            (dolist (c '("iss" "sub" "jti"))
              (unless (and (stringp (field claims c)) (plusp (length (field claims c))))
                (invalid-token "a required claim is missing")))
            (unless (and (integerp exp) (integerp iat)) (invalid-token "a required claim is missing"))
            (unless (string= (field claims "iss") issuer) (invalid-token "wrong issuer"))
            (when (<= (+ exp leeway) now) (invalid-token "token has expired"))
            (when (> iat (+ now leeway)) (invalid-token "token is issued in the future"))
            (let ((nbf (field claims "nbf")))
              (when (and (integerp nbf) (> nbf (+ now leeway))) (invalid-token "token is not valid yet")))
            (when audience
              (unless (if (listp aud) (member audience aud :test #'equal) (equal aud audience))
                (invalid-token "wrong audience")))
            claims))))))
