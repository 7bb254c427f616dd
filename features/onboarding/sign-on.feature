@onboarding
Feature: Onboarding — terminal master key, sign-on and working keys
  A terminal may only transact once it has signed on: it sends 0800, receives fresh working keys
  (PIK, MAK, TDK) encrypted under its terminal master key (TMK), checks each against its check value
  and uses them from then on. An acquirer must be able to refuse a terminal it does not know.

  @CUP-ONB-001 @severity:blocker @mandatory @contact
  Scenario: TMK loaded, sign-on with key check values, and the new keys in use
    When the operator signs on
    Then the screen shows "签到成功"
    And the host received a sign-on request
    And the host approved it
    And the host's reply carried working keys with check values
    When a sale of 1.00 is made with card UP-DEBIT-IC by inserting
    Then the host received a sale request
    And its MAC is present and valid
    And it carries an encrypted PIN block

  @CUP-ONB-002 @severity:critical @mandatory
  Scenario: Sign-on refused for a terminal the acquirer has not registered
    Given the terminal is configured with an unregistered terminal id
    When the operator signs on
    Then the screen shows "终端号未登记"
    And the host answered it with "97"
    And no screen showed "签到成功"

  @CUP-ONB-003 @severity:critical @mandatory @contact
  Scenario: Every sign-on replaces the working keys
    When the operator signs on
    And the operator signs on
    Then the host received 2 sign-on requests
    And the two sign-on replies carried different working keys
    When a sale of 2.00 is made with card UP-DEBIT-IC by inserting
    Then the host received a sale request
    And its MAC is present and valid

  @CUP-ONB-004 @severity:normal @mandatory
  Scenario: Sign-on request carries the terminal and merchant identity
    When the operator signs on
    Then the host received a sign-on request
    And it identifies this terminal and its merchant
    And it carries no MAC

  @CUP-ONB-005 @severity:critical @mandatory @contact
  Scenario: The trace number advances with every message and survives a power cycle
    When a sale of 3.00 is made with card UP-DEBIT-IC by inserting
    And the terminal is power cycled
    And a sale of 4.00 is made with card UP-DEBIT-IC by inserting
    Then the host received 2 sale requests
    And each sale request carries a new trace number

  @CUP-ONB-008 @severity:normal @optional
  # 操作员签到 (cup8583.md §2.6 63.1, §3.2, §6 操作员号): a terminal whose profile declares an operator logon asks
  # the operator number and password before its sign-on and sends that operator in F63 of the 0800; the host's
  # journal shows it. A terminal that declares none is skipped (the reference does not oblige a terminal to ask).
  Scenario: Operator logon (操作员签到) — the sign-on names the operator who logged on
    Given the terminal declares an operator logon
    When the operator signs on
    Then the host received a sign-on request
    And the host approved it
    And it names the declared operator
    And the host journal shows the declared operator

  # Without working keys that passed their check values a terminal has none to MAC or encrypt a PIN with
  # (cup8583.md §3.2 terminal handling, §5.1): each transaction of its menu ends refused on the terminal
  # (TTP 1.1 §7.6: any refusal, not-signed-on being the one it names; never approved or done) and none
  # reaches the acquirer.
  @CUP-ONB-007 @severity:blocker @mandatory
  Scenario: Working keys whose check values do not match are refused
    Given the terminal holds a master key the acquirer does not know
    When the operator signs on
    Then the screen shows "解包密钥验证不符"
    And no screen showed "签到成功"
    And the terminal is not signed on
    And every financial transaction tried with card UP-CREDIT-IC is refused on the terminal
    And the host received no financial request

  @CUP-ONB-006 @severity:normal @mandatory @sm4 @contact
  Scenario: Sign-on and sale with SM4 (国密) working keys
    Given the terminal uses SM4 keys
    When the operator signs on
    Then the screen shows "签到成功"
    When a sale of 5.00 is made with card UP-DEBIT-IC by inserting
    Then the host received a sale request
    And its MAC is present and valid
    And its PIN block is encrypted with "sm4"
