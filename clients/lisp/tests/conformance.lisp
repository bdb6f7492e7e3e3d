;;;; tests/conformance.lisp — the shared conformance cases (clients/conformance/cases.json,
;;;; format in clients/conformance/README.md) against the real compiled server started
;;;; by scripts/conformance-server, plus Lisp-specific live checks. Each case is one
;;;; fiveam test.

(in-package #:mcias-client-tests)

(defvar *results* nil
  "(PASSED FAILED) of the last RUN-ALL, counted in tests (a test fails when any of its
checks did).")

(defparameter +features+ '("verify_locally")
  "Optional features of the case format this client implements.")

(defparameter +default-issuer+ "https://mcias.conformance.test"
  "The issuer of the conformance server's tokens when its JSON line does not say.")

(defvar *server* nil "The server's JSON line (a hash table) during a run.")
(defvar *ca-file* nil "The server's CA file during a run.")

(defun repo-root ()
  (merge-pathnames "../../" (asdf:system-source-directory :mcias-client)))

;;; ---- the server ------------------------------------------------------------------

(defun start-server ()
  "Starts scripts/conformance-server (or uses MCIAS_CONFORMANCE_SERVER, its JSON line);
returns the process (or NIL) and the parsed line."
  (let ((given (uiop:getenv "MCIAS_CONFORMANCE_SERVER")))
    (if (and given (plusp (length given)))
        (values nil (parse-json given))
        (let* ((script (namestring (merge-pathnames "scripts/conformance-server" (repo-root))))
               (p (sb-ext:run-program script '() :input :stream :output :stream :error t
                                                 :wait nil :directory (namestring (repo-root)))))
          ;; A script that never prints must not hang the run.
          (let ((line (handler-case (sb-sys:with-deadline (:seconds 120)
                                      (read-line (sb-ext:process-output p) nil nil))
                        (sb-sys:deadline-timeout () nil))))
            (unless line
              (ignore-errors (sb-ext:process-kill p 9))
              (sb-ext:process-wait p)
              (error "scripts/conformance-server printed nothing within 120 s (is bin/mcias built?)"))
            (values p (parse-json line)))))))

(defun stop-server (p)
  "Closes the script's stdin (its stop signal) and waits for it."
  (when p
    (ignore-errors (close (sb-ext:process-input p)))
    (sb-ext:process-wait p)
    (sb-ext:process-exit-code p)))

;;; ---- JSON of the cases: true/false/null kept apart --------------------------------

(defun parse-spec (text)
  "Parses case JSON: objects as hash tables, arrays as lists, true/false as
YASON:TRUE/YASON:FALSE, null as :NULL."
  (let ((yason:*parse-json-booleans-as-symbols* t)
        (yason:*parse-json-null-as-keyword* t)
        (yason:*parse-json-arrays-as-vectors* nil)
        (yason:*parse-object-as* :hash-table))
    (yason:parse text)))

(defun plain (x)
  "A client result as plain JSON data: SECRETs revealed, tables copied."
  (cond ((typep x 'secret) (reveal x))
        ((hash-table-p x)
         (let ((h (make-hash-table :test 'equal)))
           (maphash (lambda (k v) (setf (gethash k h) (plain v))) x)
           h))
        ((and (listp x) x) (mapcar #'plain x))
        (t x)))

(defun show (x)
  (cond ((eq x :absent) "<absent>")
        ((hash-table-p x)
         (format nil "{~{~A~^, ~}}" (loop for k being the hash-keys of x using (hash-value v)
                                        collect (format nil "~S: ~A" k (show v)))))
        ((eq x 'yason:true) "true")
        ((eq x 'yason:false) "false")
        ((eq x :null) "null")
        ((listp x) (format nil "[~{~A~^, ~}]" (mapcar #'show x)))
        (t (prin1-to-string x))))

;;; ---- substitution -----------------------------------------------------------------

(defun base32-decode (s)
  (let ((bits 0) (n 0) (out (make-array 0 :element-type '(unsigned-byte 8) :adjustable t :fill-pointer 0)))
    (loop for ch across (string-right-trim "=" s)
          for v = (position (char-upcase ch) "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
          do (unless v (error "totp secret is not base32"))
             (setf bits (logior (ash bits 5) v) n (+ n 5))
             (when (>= n 8)
               (decf n 8)
               (vector-push-extend (ldb (byte 8 n) bits) out)
               (setf bits (ldb (byte n 0) bits))))
    (coerce out '(simple-array (unsigned-byte 8) (*)))))

(defun totp (secret-b32 unix)
  "RFC 6238 TOTP (HMAC-SHA1, 6 digits, 30 s) of SECRET-B32 at UNIX seconds."
  (let* ((mac (ironclad:make-hmac (base32-decode secret-b32) :sha1))
         (counter (make-array 8 :element-type '(unsigned-byte 8))))
    (loop for i from 0 below 8
          do (setf (aref counter (- 7 i)) (ldb (byte 8 (* 8 i)) (floor unix 30))))
    (ironclad:update-hmac mac counter)
    (let* ((h (ironclad:hmac-digest mac))
           (off (logand (aref h 19) #x0f))
           (bin (logior (ash (logand (aref h off) #x7f) 24) (ash (aref h (+ off 1)) 16)
                        (ash (aref h (+ off 2)) 8) (aref h (+ off 3)))))
      (format nil "~6,'0D" (mod bin 1000000)))))

(defun lookup (vars expr)
  (loop for (prefix ahead) in '(("totp:" 0) ("totp_next:" 30))
        when (and (> (length expr) (length prefix)) (string= prefix expr :end2 (length prefix)))
          do (let ((secret (lookup vars (subseq expr (length prefix)))))
               (unless (stringp secret) (error "totp secret variable is not a string"))
               (return-from lookup (totp secret (+ (mcias-client::unix-now) ahead)))))
  (multiple-value-bind (v found) (gethash expr vars)
    (unless found (error "unknown variable ${~A}" expr))
    v))

(defun subst-vars (x vars)
  "Replaces ${…} in every string of X (a string that is exactly one ${…} takes the
variable's value)."
  (cond ((stringp x)
         (let ((start (search "${" x)))
           (cond ((null start) x)
                 ((and (= start 0) (char= #\} (char x (1- (length x))))
                       (null (search "${" x :start2 2)))
                  (lookup vars (subseq x 2 (1- (length x)))))
                 (t (with-output-to-string (out)
                      (loop with pos = 0
                            for i = (search "${" x :start2 pos)
                            while i
                            do (let ((end (or (position #\} x :start i) (error "unclosed ${"))))
                                 (write-string x out :start pos :end i)
                                 (let ((v (lookup vars (subseq x (+ i 2) end))))
                                   (if (stringp v) (write-string v out) (format out "~A" v)))
                                 (setf pos (1+ end)))
                            finally (write-string x out :start pos)))))))
        ((hash-table-p x)
         (let ((h (make-hash-table :test 'equal)))
           (maphash (lambda (k v) (setf (gethash k h) (subst-vars v vars))) x)
           h))
        ((consp x) (mapcar (lambda (e) (subst-vars e vars)) x))
        (t x)))

;;; ---- paths and matchers -----------------------------------------------------------

(defun at (v path)
  "The value at a dot PATH of V, or :ABSENT."
  (if (string= path "")
      v
      (let ((cur v))
        (dolist (seg (uiop:split-string path :separator ".") cur)
          (setf cur
                (cond ((and (listp cur) (plusp (length seg)) (every #'digit-char-p seg))
                       (let ((i (parse-integer seg)))
                         (if (< i (length cur)) (nth i cur) (return :absent))))
                      ((hash-table-p cur)
                       (multiple-value-bind (x found) (gethash seg cur)
                         (if found x (return :absent))))
                      (t (return :absent))))))))

(defun nullish (v) (or (eq v :absent) (null v) (eq v :null)))

(defun deep-eq (a b)
  "Whether the actual value A equals the expected B. The client returns false, null
and [] all as NIL, so an expected false, null or [] matches NIL."
  (cond ((eq a :absent) nil)
        ((eq b 'yason:true) (eq a t))
        ((eq b 'yason:false) (null a))
        ((eq b :null) (null a))
        ((null b) (null a))
        ((consp b) (and (listp a) (= (length a) (length b)) (every #'deep-eq a b)))
        ((hash-table-p b)
         (and (hash-table-p a) (= (hash-table-count a) (hash-table-count b))
              (loop for k being the hash-keys of b using (hash-value v)
                    always (multiple-value-bind (x found) (gethash k a) (and found (deep-eq x v))))))
        ((numberp b) (and (numberp a) (= a b)))
        ((stringp b) (and (stringp a) (string= a b)))
        (t (equal a b))))

(defun type-ok (v name)
  (cond ((string= name "string") (stringp v))
        ((string= name "number") (numberp v))
        ((string= name "boolean") (or (eq v t) (null v)))
        ((string= name "array") (listp v))
        ((string= name "object") (hash-table-p v))
        ((string= name "null") (nullish v))
        (t (error "unknown type name ~A" name))))

(defun match-obj (v spec)
  "The mismatches of every path: matcher pair of SPEC (a hash table) against V."
  (let ((errs '()))
    (maphash (lambda (path m)
               (dolist (e (match (if (eq v :absent) :absent (at v path)) m))
                 (push (format nil "~A: ~A" (if (string= path "") "<result>" path) e) errs)))
             spec)
    (nreverse errs)))

(defun truthy (x) (eq x 'yason:true))

(defun match (v m)
  (cond
    ((eq m :null) (if (nullish v) '() (list (format nil "expected absent/null, got ~A" (show v)))))
    ((not (hash-table-p m))
     (if (deep-eq v m) '() (list (format nil "expected ~A, got ~A" (show m) (show v)))))
    (t
     (let ((errs '())
           (arr (and (listp v) v)))
       (flet ((note (fmt &rest args) (push (apply #'format nil fmt args) errs))
              (is-arr () (listp v)))
         (maphash
          (lambda (k a)
            (cond
              ((string= k "eq") (unless (deep-eq v a) (note "expected ~A, got ~A" (show a) (show v))))
              ((string= k "ne") (when (deep-eq v a) (note "expected anything but ~A" (show a))))
              ((string= k "type") (unless (type-ok v a) (note "expected type ~A, got ~A" a (show v))))
              ((string= k "present")
               (unless (eq (not (nullish v)) (truthy a)) (note "expected present=~A, got ~A" (show a) (show v))))
              ((string= k "nonempty")
               (unless (eq (truthy a) (or (and (stringp v) (plusp (length v))) (consp v)))
                 (note "expected nonempty=~A, got ~A" (show a) (show v))))
              ((string= k "length") (unless (and (is-arr) (= (length arr) a)) (note "expected length ~A, got ~A" a (show v))))
              ((string= k "min_length") (unless (and (is-arr) (>= (length arr) a)) (note "expected length >= ~A, got ~A" a (show v))))
              ((string= k "min") (unless (and (numberp v) (>= v a)) (note "expected >= ~A, got ~A" a (show v))))
              ((string= k "set")
               (unless (and (is-arr) (= (length arr) (length a))
                            (every (lambda (w) (some (lambda (x) (deep-eq x w)) arr)) a))
                 (note "expected the set ~A, got ~A" (show a) (show v))))
              ((string= k "contains")
               (unless (and (is-arr) (some (lambda (x) (deep-eq x a)) arr)) (note "expected to contain ~A, got ~A" (show a) (show v))))
              ((string= k "excludes")
               (unless (and (is-arr) (notany (lambda (x) (deep-eq x a)) arr)) (note "expected not to contain ~A, got ~A" (show a) (show v))))
              ((string= k "some")
               (unless (and (is-arr) (some (lambda (x) (null (match-obj x a))) arr)) (note "no element matches ~A in ~A" (show a) (show v))))
              ((string= k "none")
               (unless (and (is-arr) (notany (lambda (x) (null (match-obj x a))) arr)) (note "an element matches ~A in ~A" (show a) (show v))))
              ((string= k "all")
               (if (is-arr)
                   (loop for x in arr for i from 0
                         do (dolist (e (match-obj x a)) (note "[~D].~A" i e)))
                   (note "expected an array, got ~A" (show v))))
              (t (error "unknown matcher ~S" k))))
          m))
       (nreverse errs)))))

;;; ---- ops --------------------------------------------------------------------------

(defun arg (args name &optional required)
  (multiple-value-bind (v found) (gethash name args)
    (when (and required (or (not found) (eq v :null)))
      (error "missing argument ~A" name))
    (if (eq v :null) nil v)))

(defun call-op (c op args)
  "Runs OP on client C with ARGS (a hash table); returns the result as plain JSON data."
  (flet ((a (name) (arg args name t))
         (o (name) (arg args name)))
    (plain
     (cond
       ((string= op "health") (health c))
       ((string= op "public_key") (public-key c))
       ((string= op "jwks") (jwks c))
       ((string= op "login") (login c (a "username") (a "password") :totp-code (o "totp_code") :audience (o "audience")))
       ((string= op "logout") (logout c))
       ((string= op "renew") (renew c :audience (o "audience")))
       ((string= op "validate") (validate-token c (a "token") :audience (o "audience")))
       ((string= op "me") (me c))
       ((string= op "get_token") (client-token c))
       ((string= op "set_token") (setf (client-token c) (o "token")) nil)
       ((string= op "create_account")
        (create-account c :username (a "username") :account-type (or (o "account_type") "human")
                          :password (o "password") :roles (o "roles")))
       ((string= op "list_accounts") (list-accounts c :status (o "status")))
       ((string= op "get_account") (get-account c (a "id")))
       ((string= op "update_account") (update-account c (a "id") :status (o "status")))
       ((string= op "delete_account") (delete-account c (a "id")))
       ((string= op "set_password") (set-account-password c (a "id") (a "password")))
       ((string= op "get_roles") (get-roles c (a "id")))
       ((string= op "set_roles") (set-roles c (a "id") (o "roles")))
       ((string= op "grant_role") (grant-role c (a "id") (a "role")))
       ((string= op "revoke_role") (revoke-role c (a "id") (a "role")))
       ((string= op "get_tags") (get-tags c (a "id")))
       ((string= op "set_tags") (set-tags c (a "id") (o "tags")))
       ((string= op "issue_service_token") (issue-service-token c (a "id") :audience (o "audience")))
       ((string= op "revoke_token") (revoke-token c (a "jti")))
       ((string= op "list_tokens") (list-tokens c (a "id")))
       ((string= op "get_pgcreds") (get-pgcreds c (a "id")))
       ((string= op "set_pgcreds")
        (set-pgcreds c (a "id") :host (a "host") :port (a "port") :database (a "database")
                                :username (a "username") :password (a "password")))
       ((string= op "list_pgcreds") (list-pgcreds c))
       ((string= op "audit_query")
        (audit-query c :account (o "account") :type (o "type") :since (o "since") :until (o "until")
                       :limit (o "limit") :cursor (o "cursor")))
       ((string= op "policy_evaluate")
        (let ((r (a "resource")))
          (policy-evaluate c :subject-id (a "subject_id") :action (a "action")
                             :resource-type (arg r "type" t) :resource-id (arg r "id"))))
       ((string= op "totp_enroll") (totp-enroll c :current-password (a "current_password")))
       ((string= op "totp_confirm") (totp-confirm c (a "code")))
       ((string= op "vault_status") (vault-status c))
       ((string= op "vault_seal") (seal-vault c))
       ((string= op "vault_unseal") (unseal-vault c (a "passphrase")))
       ((string= op "verify_locally")
        (verify-locally c (a "token") :issuer (or (o "issuer") (field *server* "issuer") +default-issuer+)))
       (t (error "unknown op ~A" op))))))

;;; ---- error kinds ------------------------------------------------------------------

(defun kind-of (e)
  (typecase e
    (mcias-bad-request "bad_request") (mcias-unauthorized "unauthorized")
    (mcias-forbidden "forbidden") (mcias-not-found "not_found") (mcias-conflict "conflict")
    (mcias-rate-limited "rate_limited") (mcias-vault-sealed "vault_sealed")
    (mcias-server-error "internal") (mcias-transport-error "transport")
    (mcias-invalid-token "invalid_token") (t "unknown")))

(defparameter +kind-status+
  '(("bad_request" . 400) ("unauthorized" . 401) ("forbidden" . 403) ("not_found" . 404)
    ("conflict" . 409) ("rate_limited" . 429) ("vault_sealed" . 503)))

(defun check-error (where e kind)
  (let ((want (cdr (assoc kind +kind-status+ :test #'string=))))
    (unless (eql (mcias-error-status e) want)
      (error "~A: ~A with status ~A, expected ~A" where kind (mcias-error-status e) want))
    (unless (string= (mcias-error-code e) kind)
      (error "~A: code ~A, expected ~A" where (mcias-error-code e) kind))
    (when (and (string= kind "rate_limited")
               (not (and (mcias-error-retry-after e) (>= (mcias-error-retry-after e) 1))))
      (error "~A: rate_limited without Retry-After >= 1" where))))

;;; ---- one case ---------------------------------------------------------------------

(defun make-case-client (case name)
  (let* ((conf (and (field case "clients") (field (field case "clients") name)))
         (trust (not (and conf (eq (field conf "trust_ca") 'yason:false)))))
    (make-client (field *server* "url") :ca-file (and trust *ca-file*))))

(defun run-case (case)
  "Runs every step of CASE; signals an error naming the step at the first mismatch."
  (let ((vars (make-hash-table :test 'equal))
        (clients (make-hash-table :test 'equal))
        (name (field case "name")))
    (maphash (lambda (k v) (setf (gethash k vars) v)) *server*)
    (loop for step in (field case "steps") for i from 1
          do (let* ((op (field step "op"))
                    (where (format nil "~A step ~D (~A)" name i op))
                    (cname (or (field step "client") "main"))
                    (c (or (gethash cname clients)
                           (setf (gethash cname clients) (make-case-client case cname))))
                    (args (subst-vars (or (field step "args") (make-hash-table :test 'equal)) vars))
                    (repeat (field step "repeat"))
                    (attempts (if repeat (field repeat "max_attempts") 1))
                    (until (and repeat (field repeat "until_error")))
                    (expect (field step "expect"))
                    (want-err (and (not repeat) expect (field expect "error")))
                    (result nil))
               (loop for n from 1 to attempts
                     do (multiple-value-bind (out err)
                            (handler-case (values (call-op c op args) nil)
                              (mcias-error (e) (values nil e)))
                          (when (and until err)
                            (let ((k (kind-of err)))
                              (unless (string= k until)
                                (error "~A: attempt ~D failed with ~A, not ~A: ~A" where n k until err))
                              (check-error where err k)
                              (when (= n 1) (error "~A: failed at the first attempt (no success before ~A)" where k))
                              (return)))
                          (when (and until (= n attempts))
                            (error "~A: no ~A within ~D attempts" where until attempts))
                          (when want-err
                            (unless err (error "~A: expected error ~A, got success ~A" where want-err (show out)))
                            (let ((k (kind-of err)))
                              (unless (string= k want-err)
                                (error "~A: expected error ~A, got ~A: ~A" where want-err k err))
                              (check-error where err k)
                              (return)))
                          (when err (error "~A: unexpected error ~A: ~A" where (kind-of err) err))
                          (setf result out)
                          (let* ((spec (subst-vars (or (and expect (field expect "result"))
                                                       (make-hash-table :test 'equal))
                                                   vars))
                                 (errs (match-obj result spec)))
                            (when errs (error "~A: ~{~A~^; ~}" where errs)))))
               (let ((save (field step "save")))
                 (when save
                   (maphash (lambda (var path)
                              (let ((v (at result path)))
                                (when (eq v :absent) (error "~A: nothing at ~S to save as ~A" where path var))
                                (setf (gethash var vars) v)))
                            save)))))))

;;; ---- Lisp-specific live checks ----------------------------------------------------

(defun admin-client ()
  (let ((c (make-client (field *server* "url") :ca-file *ca-file*)))
    (login c (field *server* "admin_username") (make-secret (field *server* "admin_password")))
    c))

(def-suite live :description "Lisp-specific checks against the live server.")
(in-suite live)

(test lisp-wrong-ca-is-refused
  (let ((c (make-client (field *server* "url")
                        :ca-file (namestring (asdf:system-relative-pathname :mcias-client "tests/other-ca.pem")))))
    (signals mcias-transport-error (health c))))

(test lisp-secrets-stay-out-of-printed-objects-and-errors
  (let* ((c (admin-client))
         (token (client-token c))
         (password (field *server* "admin_password")))
    (is (stringp token))
    (is (null (search token (prin1-to-string c))))
    (is (null (search token (with-output-to-string (s) (describe c s)))))
    (let ((r (renew c)))
      (is (null (search (reveal (field r "token")) (prin1-to-string r))))
      (is (null (search (reveal (field r "token")) (prin1-to-string (field r "token"))))))
    (handler-case (progn (login c (field *server* "admin_username") (concatenate 'string password "x"))
                         (fail "wrong password accepted"))
      (mcias-unauthorized (e)
        (is (null (search password (princ-to-string e))))
        (is (null (search password (prin1-to-string e))))))))

(test lisp-verify-locally-refuses-forgeries
  (let* ((c (admin-client))
         (token (client-token c))
         (issuer (or (field *server* "issuer") +default-issuer+))
         (claims (verify-locally c token :issuer issuer))
         (parts (uiop:split-string token :separator ".")))
    (is (string= (field *server* "admin_username") (field claims "username")))
    (let ((forged (format nil "~A.~A.~A" (first parts)
                          (b64url (format nil "{\"iss\":~S,\"sub\":~S,\"iat\":~D,\"exp\":~D,\"jti\":\"x\",\"roles\":[\"admin\"],\"account_type\":\"human\",\"username\":\"admin\"}"
                                          issuer (field claims "sub") (field claims "iat") (+ 1000 (field claims "exp"))))
                          (third parts))))
      (signals mcias-invalid-token (verify-locally c forged :issuer issuer)))
    (signals mcias-invalid-token (verify-locally c token :issuer "https://someone-else.example"))
    (signals mcias-invalid-token (verify-locally c token :issuer issuer :audience "app-x"))
    (signals mcias-invalid-token
      (verify-locally c (format nil "~A.~A.~A" (b64url "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"no-such-kid\"}")
                                (second parts) (third parts))
                      :issuer issuer))
    ;; An unknown kid right after a fetch does not refetch (throttle); once the interval
    ;; has passed it does, and a known kid is found again.
    (let ((fetched (slot-value c 'mcias-client::jwks-fetched-at)))
      (is (integerp fetched))
      (ignore-errors (verify-locally c (format nil "~A.~A.~A" (b64url "{\"alg\":\"EdDSA\",\"kid\":\"other\"}")
                                               (second parts) (third parts))
                                     :issuer issuer))
      (is (eql fetched (slot-value c 'mcias-client::jwks-fetched-at)))
      (setf (slot-value c 'mcias-client::jwks) (make-hash-table :test 'equal)
            (slot-value c 'mcias-client::jwks-fetched-at)
            (- fetched (* 11 internal-time-units-per-second)))
      (is (field (verify-locally c token :issuer issuer) "sub"))
      (is (> (slot-value c 'mcias-client::jwks-fetched-at) fetched)))
    (let ((bound (make-client (field *server* "url") :ca-file *ca-file*)))
      (login bound (field *server* "admin_username") (field *server* "admin_password") :audience "app-x")
      (is (equal "app-x" (field (verify-locally c (client-token bound) :issuer issuer :audience "app-x") "aud")))
      (signals mcias-invalid-token (verify-locally c (client-token bound) :issuer issuer :audience "app-y"))
      (is (null (field (validate-token c (client-token bound) :audience "app-y") "valid")))
      (is (eq t (field (validate-token c (client-token bound) :audience "app-x") "valid"))))))

(test lisp-delegates-and-pgcreds-access-grants
  (let* ((c (admin-client))
         (svc (create-account c :username "lisp-svc" :account-type "system"))
         (svc-id (gethash "id" svc))
         (h (create-account c :username "lisp-human" :password (make-secret "lisp-human-password-1")))
         (h-id (gethash "id" h)))
    (is (string= h-id (field (grant-delegate c svc-id h-id) "grantee_id")))
    (is (some (lambda (g) (string= h-id (field g "grantee_id"))) (list-delegates c svc-id)))
    ;; The delegate may now issue the system account's token.
    (let ((d (make-client (field *server* "url") :ca-file *ca-file*)))
      (login d "lisp-human" "lisp-human-password-1")
      (is (stringp (reveal (field (issue-service-token d svc-id) "token"))))
      (revoke-delegate c svc-id h-id)
      (is (null (list-delegates c svc-id)))
      (signals mcias-forbidden (issue-service-token d svc-id))
      (set-pgcreds c svc-id :host "db" :port 5432 :database "d" :username "u" :password (make-secret "pg-password-123"))
      (signals mcias-forbidden (get-pgcreds d svc-id))
      (is (string= h-id (field (grant-pgcreds-access c svc-id h-id) "grantee_id")))
      (is (= 1 (length (list-pgcreds-access c svc-id))))
      ;; A grantee reads the metadata, never the password.
      (let ((pg (get-pgcreds d svc-id)))
        (is (string= "db" (field pg "host")))
        (is (null (nth-value 1 (gethash "password" pg)))))
      (revoke-pgcreds-access c svc-id h-id)
      (is (null (list-pgcreds-access c svc-id))))))

(test totp-helper-matches-rfc-6238
  (is (string= "287082" (totp "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" 59)))
  (is (string= "081804" (totp "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" 1111111109))))

;;; ---- the run ----------------------------------------------------------------------

(def-suite conformance :description "clients/conformance/cases.json against the real server.")

(defun define-case-tests (cases)
  "One fiveam test per case (in file order) in the CONFORMANCE suite."
  (let ((names '()))
    (dolist (case cases (nreverse names))
      (let* ((name (field case "name"))
             (sym (intern (string-upcase name) :mcias-client-tests))
             (missing (remove-if (lambda (f) (member f +features+ :test #'string=))
                                 (field case "requires"))))
        (push sym names)
        (if missing
            (eval `(test (,sym :suite conformance)
                     (skip "needs ~{~A~^, ~}" ',missing)))
            (eval `(test (,sym :suite conformance)
                     (let ((err (handler-case (progn (run-case ,case) nil)
                                  (error (e) (princ-to-string e)))))
                       (is (null err) "~A" err)))))))))

(defun run-suite-collect (suite)
  (let ((results (run suite)))
    (explain! results)
    results))

(defun run-all ()
  "Runs the unit tests, then starts the conformance server and runs the Lisp live
checks and every conformance case; sets *RESULTS* to (PASSED FAILED) and returns T
when nothing failed."
  (let ((results (run-suite-collect 'unit)))
    (handler-case
        (let* ((suite (parse-spec (uiop:read-file-string
                                   (merge-pathnames "clients/conformance/cases.json" (repo-root)))))
               (format-ok (eql 1 (field suite "format"))))
          (unless format-ok (error "cases.json is not format 1"))
          (define-case-tests (field suite "cases"))
          (multiple-value-bind (process info) (start-server)
            (unwind-protect
                 (let ((*server* info)
                       (*ca-file* (field info "ca_file")))
                   ;; Live checks first: the shared cases end by emptying the unseal bucket.
                   (setf results (append results (run-suite-collect 'live) (run-suite-collect 'conformance))))
              (stop-server process))))
      (error (e)
        (format t "~&conformance run failed: ~A~%" e)
        (setf results (append results
                              (list (make-instance 'fiveam::test-failure
                                                   :test-case (make-instance 'fiveam::test-case :name 'conformance-setup)
                                                   :reason (princ-to-string e)))))))
    (multiple-value-bind (p f) (count-results results)
      (setf *results* (list p f))
      (format t "~&mcias-client: ~D passed, ~D failed~%" p f)
      (zerop f))))

(defun count-results (results)
  "Passed and failed tests (not checks): a test fails when any of its checks did."
  (let ((status (make-hash-table :test 'eq)))
    (dolist (r results)
      (let ((name (fiveam::name (fiveam::test-case r))))
        (cond ((typep r 'fiveam::test-skipped) (unless (gethash name status) (setf (gethash name status) :skipped)))
              ((typep r 'fiveam::test-passed) (when (member (gethash name status) '(nil :skipped)) (setf (gethash name status) :passed)))
              (t (setf (gethash name status) :failed)))))
    (let ((p 0) (f 0))
      (maphash (lambda (k v) (declare (ignore k)) (case v (:passed (incf p)) (:failed (incf f)))) status)
      (values p f))))
