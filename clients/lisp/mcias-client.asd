;;;; mcias-client.asd — the MCIAS client for Common Lisp (SBCL).

(defsystem "mcias-client"
  :description "Client for the MCIAS identity and access server: REST API, typed
conditions, local Ed25519 token verification."
  :version "0.1.0"
  :license "MIT"
  :depends-on ("drakma" "cl+ssl" "yason" "ironclad" "cl-base64" "babel" "bordeaux-threads")
  :pathname "src/"
  :serial t
  :components ((:file "package")
               (:file "conditions")
               (:file "util")
               (:file "client")
               (:file "api")
               (:file "verify"))
  :in-order-to ((test-op (test-op "mcias-client/tests"))))

(defsystem "mcias-client/tests"
  :description "Unit tests and the shared conformance cases against a real server."
  :depends-on ("mcias-client" "fiveam" (:require "sb-bsd-sockets"))
  :pathname "tests/"
  :serial t
  :components ((:file "package")
               (:file "unit")
               (:file "conformance"))
  :perform (test-op (o c) (uiop:symbol-call :mcias-client-tests '#:run-all)))
