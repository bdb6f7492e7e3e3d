;;;; util.lisp — secrets, JSON, URL and base64url helpers.

(in-package #:mcias-client)

;;; Secrets

(defclass secret ()
  ((value :initarg :value :reader %secret-value))
  (:documentation "Holds a secret string (token, password, TOTP secret). It prints
as #<SECRET [REDACTED]>; REVEAL returns the string."))

(defmethod print-object ((s secret) stream)
  (print-unreadable-object (s stream :type t)
    (write-string "[REDACTED]" stream)))

(defmethod describe-object ((s secret) stream)
  (format stream "~S~%  A secret string; REVEAL returns it.~%" s))

(defun make-secret (string)
  "Wraps STRING in a SECRET (a SECRET is returned as is; NIL stays NIL)."
  (etypecase string
    (null nil)
    (secret string)
    (string (make-instance 'secret :value string))))

(defun reveal (x)
  "The string inside a SECRET; any other value (a string, NIL) is returned as is."
  (if (typep x 'secret) (%secret-value x) x))

;;; JSON

(defun json-object (&rest plist)
  "An EQUAL hash table from alternating string keys and values; pairs whose value is
:OMIT are left out."
  (let ((h (make-hash-table :test 'equal)))
    (loop for (k v) on plist by #'cddr
          unless (eq v :omit) do (setf (gethash k h) v))
    h))

(defun json-array (list)
  "LIST as a vector, so that it encodes as a JSON array even when empty."
  (coerce list 'vector))

(defun to-json (value)
  "VALUE encoded as a JSON string. Hash tables are objects, vectors arrays, SECRETs
their string, :TRUE / :FALSE / :NULL the literals."
  (with-output-to-string (s)
    (labels ((enc (v)
               (cond ((eq v :true) (write-string "true" s))
                     ((eq v :false) (write-string "false" s))
                     ((or (eq v :null) (null v)) (write-string "null" s))
                     ((eq v t) (write-string "true" s))
                     ((typep v 'secret) (yason:encode (%secret-value v) s))
                     ((stringp v) (yason:encode v s))
                     ((integerp v) (format s "~D" v))
                     ((realp v) (yason:encode v s))
                     ((hash-table-p v)
                      (write-char #\{ s)
                      (let ((first t))
                        (maphash (lambda (k x)
                                   (unless first (write-char #\, s))
                                   (setf first nil)
                                   (yason:encode (string k) s)
                                   (write-char #\: s)
                                   (enc x))
                                 v))
                      (write-char #\} s))
                     ((or (vectorp v) (listp v))
                      (write-char #\[ s)
                      (let ((first t))
                        (map nil (lambda (x)
                                   (unless first (write-char #\, s))
                                   (setf first nil)
                                   (enc x))
                             v))
                      (write-char #\] s))
                     (t (error 'type-error :datum v :expected-type '(or string number hash-table sequence))))))
      (enc value))))

(defun parse-json (string)
  "Parses JSON text: objects as EQUAL hash tables, arrays as lists, true/false as
T/NIL, null as NIL."
  (let ((yason:*parse-json-booleans-as-symbols* nil)
        (yason:*parse-json-null-as-keyword* nil)
        (yason:*parse-json-arrays-as-vectors* nil)
        (yason:*parse-object-as* :hash-table))
    (yason:parse string)))

(defun field (object key)
  "The value of KEY in a JSON OBJECT (hash table), or NIL."
  (and (hash-table-p object) (values (gethash key object))))

;;; URLs

(defun percent-encode (string)
  "STRING as UTF-8, every byte outside the unreserved set percent-encoded."
  (with-output-to-string (s)
    (loop for b across (babel:string-to-octets string :encoding :utf-8)
          for c = (code-char b)
          do (if (or (char<= #\a c #\z) (char<= #\A c #\Z) (char<= #\0 c #\9)
                     (member c '(#\- #\. #\_ #\~)))
                 (write-char c s)
                 (format s "%~2,'0X" b)))))

(defun path-segment (x)
  "One URL path segment, percent-encoded; empty, \".\" and \"..\" are refused (the
URL parser would resolve them away)."
  (let ((s (if (stringp x) x (princ-to-string x))))
    (when (member s '("" "." "..") :test #'string=)
      (error 'mcias-bad-request :status nil :code "bad_request" :message "invalid path parameter"))
    (percent-encode s)))

(defun query-string (pairs)
  "\"?k=v&...\" from an alist of string keys and values (NIL values left out), or \"\"."
  (let ((kept (remove nil pairs :key #'cdr)))
    (if (null kept)
        ""
        (format nil "?~{~A~^&~}"
                (mapcar (lambda (p)
                          (format nil "~A=~A" (percent-encode (car p))
                                  (percent-encode (if (stringp (cdr p)) (cdr p) (princ-to-string (cdr p))))))
                        kept)))))

;;; base64url

(defun base64url-decode (string)
  "Decodes unpadded base64url into an octet vector; signals MCIAS-INVALID-TOKEN on
bad input."
  (unless (every (lambda (c) (or (alphanumericp c) (member c '(#\- #\_)))) string)
    (error 'mcias-invalid-token :message "not base64url"))
  (let* ((std (map 'string (lambda (c) (case c (#\- #\+) (#\_ #\/) (t c))) string))
         (padded (concatenate 'string std
                              (make-string (mod (- 4 (mod (length std) 4)) 4) :initial-element #\=))))
    (handler-case (coerce (cl-base64:base64-string-to-usb8-array padded)
                          '(simple-array (unsigned-byte 8) (*)))
      (error () (error 'mcias-invalid-token :message "not base64url")))))

(defconstant +unix-epoch+ (encode-universal-time 0 0 0 1 1 1970 0)
  "The Unix epoch as a universal time.")

(defun unix-now ()
  "Seconds since the Unix epoch."
  (- (get-universal-time) +unix-epoch+))
