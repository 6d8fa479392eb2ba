"""The HTML report: charts of the marts, read from the serving copy, in one offline page."""

from orchestration.report.build import Report, build_report

__all__ = ["Report", "build_report"]
