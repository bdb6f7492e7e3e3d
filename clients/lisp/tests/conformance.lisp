;;;; tests/conformance.lisp — runner entry point.

(in-package #:mcias-client-tests)

(defvar *results* nil
  "(PASSED FAILED) of the last RUN-ALL: fiveam checks of the unit suite plus one per
conformance case.")

(defun count-results (results)
  "Passed and failed tests (not checks): a test fails when any of its checks did."
  (let ((status (make-hash-table :test 'eq)))
    (dolist (r results)
      (let ((name (fiveam::name (fiveam::test-case r))))
        (if (typep r 'fiveam::test-passed)
            (unless (gethash name status) (setf (gethash name status) :passed))
            (unless (typep r 'fiveam::test-skipped) (setf (gethash name status) :failed)))))
    (let ((p 0) (f 0))
      (maphash (lambda (k v) (declare (ignore k)) (if (eq v :passed) (incf p) (incf f))) status)
      (values p f))))

(defun run-all ()
  "Runs the unit suite (and the conformance cases when a server is available); sets
*RESULTS* to (PASSED FAILED) and returns T when nothing failed."
  (let ((results (run 'unit)))
    (explain! results)
    (multiple-value-bind (p f) (count-results results)
      (setf *results* (list p f))
      (format t "~&mcias-client unit: ~D passed, ~D failed~%" p f)
      (zerop f))))
