;;;; client.lisp — the client object and the one function that talks HTTP.

(in-package #:mcias-client)

(defclass mcias-client ()
  ((base-url :initarg :base-url :reader client-base-url
             :documentation "Base URL without a trailing slash, e.g. \"https://auth.example.com:8443\".")
   (ca-file :initarg :ca-file :initform nil :reader client-ca-file
            :documentation "PEM file of the CA (or self-signed certificate) to trust, or NIL for the system store.")
   (timeout :initarg :timeout :initform 30 :reader client-timeout
            :documentation "Per-request timeout in seconds.")
   (token :initform nil
          :documentation "The bearer token as a SECRET (read it with CLIENT-TOKEN).")
   (jwks :initform (make-hash-table :test 'equal)
         :documentation "Cached verification keys by kid.")
   (jwks-fetched-at :initform nil
                    :documentation "Internal real time of the last JWKS fetch.")
   (lock :initform (bt:make-lock "mcias-client")
         :documentation "Guards the token and the JWKS cache."))
  (:documentation "A client of one MCIAS server: base URL, optional CA file, the
current bearer token (CLIENT-TOKEN) and a JWKS cache for VERIFY-LOCALLY. Its
printed form never shows the token."))

(setf (documentation 'client-base-url 'function) "The client's base URL (no trailing slash)."
      (documentation 'client-ca-file 'function) "The CA file the client trusts, or NIL."
      (documentation 'client-timeout 'function) "The per-request timeout in seconds.")

(defmethod print-object ((c mcias-client) stream)
  (print-unreadable-object (c stream :type t :identity t)
    (format stream "~A token: ~:[none~;[REDACTED]~]"
            (client-base-url c) (slot-value c 'token))))

(defun client-token (client)
  "The bearer token in use as a string (set by MAKE-CLIENT, LOGIN, RENEW or SETF),
or NIL."
  (reveal (bt:with-lock-held ((slot-value client 'lock)) (slot-value client 'token))))

(defun (setf client-token) (token client)
  "Replaces (or with NIL, clears) the bearer token."
  (bt:with-lock-held ((slot-value client 'lock))
    (setf (slot-value client 'token) (make-secret token)))
  token)

(defun loopback-host-p (url)
  (let ((host (puri:uri-host (puri:parse-uri url))))
    (member host '("localhost" "127.0.0.1" "::1" "[::1]") :test #'equalp)))

(defun make-client (base-url &key ca-file token (timeout 30))
  "Makes a client of the MCIAS server at BASE-URL (https://, or http:// to loopback
only). CA-FILE is a PEM file of the CA to trust instead of the system store; TOKEN
an initial bearer token (e.g. a service's); TIMEOUT seconds per request."
  (let ((url (string-right-trim "/" base-url)))
    (handler-case
        (let ((u (puri:parse-uri url)))
          (unless (and (member (puri:uri-scheme u) '(:https :http))
                       (puri:uri-host u)
                       (null (puri:uri-query u))
                       (null (puri:uri-fragment u)))
            (error "bad url")))
      (error () (error 'mcias-bad-request :code "bad_request" :message "the base URL is not a valid http(s) URL")))
    (unless (or (eql 0 (search "https://" url :test #'char-equal))
                (loopback-host-p url))
      (error 'mcias-bad-request :code "bad_request" :message "the base URL must be https://"))
    (when (and ca-file (not (probe-file ca-file)))
      (error 'mcias-bad-request :code "bad_request" :message "the CA file does not exist"))
    (let ((c (make-instance 'mcias-client :base-url url
                                          :ca-file (and ca-file (namestring (truename ca-file)))
                                          :timeout timeout)))
      (when token (setf (client-token c) token))
      c)))

(defun safe-report (e)
  "A short description of a lower-level error: its type and report, cut at 300
characters (reports of socket and TLS errors name no header or body)."
  (let ((text (handler-case (princ-to-string e) (error () ""))))
    (format nil "~(~A~)~@[: ~A~]" (type-of e)
            (and (plusp (length text)) (subseq text 0 (min 300 (length text)))))))

(defun request (client method segments &key query body (auth t) allow)
  "Sends one request: METHOD (:get, :post, ...), the path from SEGMENTS (each
percent-encoded), QUERY an alist, BODY a JSON value (see TO-JSON). Returns the parsed
JSON (NIL for an empty body) and the status. Signals the MCIAS-ERROR subtype of an
error status (unless the status is in ALLOW), MCIAS-TRANSPORT-ERROR when no usable
answer arrives."
  (let* ((path (format nil "~{/~A~}" (mapcar #'path-segment segments)))
         (what (format nil "~A ~A" method path))
         (url (concatenate 'string (client-base-url client) path (query-string query)))
         (token (and auth (client-token client)))
         (content (and body (babel:string-to-octets (to-json body) :encoding :utf-8))))
    (multiple-value-bind (bytes status headers)
        (handler-case
            (sb-sys:with-deadline (:seconds (client-timeout client))
              (drakma:http-request url
                                   :method method
                                   :content (or content (and (member method '(:post :put :patch))
                                                             (make-array 0 :element-type '(unsigned-byte 8))))
                                   :content-type (if content "application/json" nil)
                                   :accept "application/json"
                                   :additional-headers (and token `(("Authorization" . ,(format nil "Bearer ~A" token))))
                                   :verify (if (eql 0 (search "https://" url :test #'char-equal)) :required nil)
                                   :ca-file (client-ca-file client)
                                   :redirect nil
                                   :force-binary t
                                   :connection-timeout (client-timeout client)
                                   :user-agent "mcias-client-lisp/0.1.0"))
          (sb-sys:deadline-timeout ()
            (error 'mcias-transport-error :message (format nil "~A: timed out" what)))
          (error (e)
            (error 'mcias-transport-error :message (format nil "~A: ~A" what (safe-report e)))))
      (let ((text (handler-case (if (typep bytes '(vector (unsigned-byte 8)))
                                  (babel:octets-to-string bytes :encoding :utf-8)
                                  "")
                    (error () nil))))
        (cond
          ((or (<= 200 status 299) (member status allow))
           (values (cond ((null text)
                          (error 'mcias-transport-error :status status
                                                        :message (format nil "~A: the response is not UTF-8" what)))
                         ((string= text "") nil)
                         (t (handler-case (parse-json text)
                              (error ()
                                (error 'mcias-transport-error
                                       :status status
                                       :message (format nil "~A: the response is not JSON (HTTP ~D)" what status))))))
                   status))
          ((< status 400)
           (error 'mcias-transport-error :status status
                                         :message (format nil "~A: unexpected HTTP ~D" what status)))
          (t (signal-api-error status text (cdr (assoc :retry-after headers)))))))))

(defun signal-api-error (status text retry-after)
  "Signals the condition of an error response."
  (let* ((parsed (and text (ignore-errors (parse-json text))))
         (server-code (field parsed "code"))
         (code (if (and (stringp server-code) (member server-code +known-codes+ :test #'string=))
                   server-code
                   (code-for-status status)))
         (msg (let ((m (field parsed "error")))
                (if (stringp m) (subseq m 0 (min 500 (length m))) (format nil "HTTP ~D" status))))
         (type (condition-for-code code)))
    (if (eq type 'mcias-rate-limited)
        (error type :status status :code code :message msg
                    :retry-after (and retry-after (ignore-errors (parse-integer retry-after))))
        (error type :status status :code code :message msg))))

(defun require-fields (what object fields)
  "Returns OBJECT after checking that it is a JSON object holding every key in
FIELDS; signals MCIAS-TRANSPORT-ERROR naming the first missing one."
  (unless (hash-table-p object)
    (error 'mcias-transport-error :message (format nil "~A: invalid response: not an object" what)))
  (dolist (f fields object)
    (unless (nth-value 1 (gethash f object))
      (error 'mcias-transport-error
             :message (format nil "~A: invalid response: missing field ~A" what f)))))

(defun wrap-secrets (object &rest keys)
  "Replaces the string values of KEYS in OBJECT by SECRETs; returns OBJECT."
  (dolist (k keys object)
    (let ((v (gethash k object)))
      (when (stringp v) (setf (gethash k object) (make-secret v))))))
