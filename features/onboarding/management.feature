@onboarding
Feature: Onboarding — identity, parameter download and link management
  Before a lab certifies a terminal it records what the terminal is, and checks that it takes its
  operating parameters from the acquirer and answers the management messages.

  @CUP-ONB-010 @severity:normal @mandatory
  Scenario: The terminal identifies itself over the test protocol
    When the harness asks the terminal who it is
    Then it declares the test protocol version "1.0"
    And it declares its vendor, model, serial number and firmware version
    And it declares its capabilities

  @CUP-ONB-011 @severity:normal @mandatory
  # 参数下载 (cup8583.md §3.4): the acquirer's reply carries the merchant name (id 22) the terminal prints as
  # 商户名称 (§6), so it replaces whatever name the terminal held.
  Scenario: Parameter download
    Given the terminal's merchant name is not the acquirer's
    When the operator downloads parameters
    Then the screen shows "参数下载成功"
    And the host received a parameter download request
    And the host approved it
    And the terminal holds the merchant name the acquirer downloaded

  @CUP-ONB-012 @severity:minor @optional
  Scenario: Echo test
    When the operator runs an echo test
    Then the host received an echo test request
    And the host approved it
    And the screen shows "通讯正常"

  @CUP-ONB-013 @severity:minor @optional
  Scenario: Sign-off then sign-on again
    When the operator signs off
    Then the host received a sign-off request
    And the host approved it
    When the operator signs on
    Then the screen shows "签到成功"
