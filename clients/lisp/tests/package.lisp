;;;; tests/package.lisp

(defpackage #:mcias-client-tests
  (:use #:cl #:mcias-client #:fiveam)
  (:import-from #:mcias-client #:field #:parse-json #:to-json #:json-object)
  (:export #:run-all #:*results*)
  (:documentation "Tests of mcias-client: offline unit tests and the shared
conformance cases against a real server."))
