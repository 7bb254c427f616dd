@payment
Feature: Payment — balance inquiry, pre-authorization and completion
  A balance inquiry moves no money and shows the balance the issuer returns. A pre-authorization
  reserves funds; its completion books them against the original authorization.

  @CUP-PAY-030 @severity:normal @mandatory @contact @printer
  Scenario: Balance inquiry shows the issuer's balance and books nothing
    When the operator selects "余额查询"
    And the cardholder inserts card UP-DEBIT-IC
    And the cardholder enters the correct PIN
    Then the screen shows the balance of card UP-DEBIT-IC
    And the host received a balance inquiry request
    And its MAC is present and valid
    And it carries an encrypted PIN block
    And the balance of card UP-DEBIT-IC is unchanged
    And no voucher is printed

  @CUP-PAY-031 @severity:normal @mandatory @contact @printer
  Scenario: Pre-authorization
    When the operator selects "预授权"
    And the operator enters the amount 500.00
    And the cardholder inserts card UP-CREDIT-IC
    And the cardholder enters the correct PIN
    Then the screen shows "交易成功"
    And the host received a pre-authorization request
    And its amount is 500.00
    And its MAC is present and valid
    And the host approved it
    And every copy shows the host's authorization code
    And every amount on every copy is one the host booked
    And no copy names another kind of transaction

  # A completion the acquirer declines (61: beyond the hold + its tolerance) changes nothing the terminal
  # keeps, nor does one whose approval it cannot trust (wrong MAC: no approval, reversed, cup8583.md §3.6,
  # §3.8): the completion that follows still names the pre-authorization by F38 and F61 (§3.7, §2.5
  # 61.1-61.3), as an approved reply alone may use up what the terminal holds; and completing one
  # pre-authorization uses up that one only: the earlier one is completed after it, named by F38 and F61.
  @CUP-PAY-032 @severity:normal @mandatory @contact
  Scenario: Pre-authorization completion books the final amount
    Given a pre-authorization of 150.00 was approved for card UP-CREDIT-IC
    And a pre-authorization of 500.00 was approved for card UP-CREDIT-IC
    When the operator completes the pre-authorization with 600.00 with card UP-CREDIT-IC by inserting
    Then the host received a pre-authorization completion request
    And the host answered it with "61"
    Given the host will corrupt the MAC of its reply to the next pre-authorization completion request
    When the operator completes the pre-authorization with 410.00 with card UP-CREDIT-IC by inserting
    And the operator completes the pre-authorization with 420.00 with card UP-CREDIT-IC by inserting
    Then the screen shows "交易成功"
    And the host received a pre-authorization completion request
    And it refers to the original authorization
    And its amount is 420.00
    And the host approved it
    And the card UP-CREDIT-IC is debited 420.00
    When the operator completes the first pre-authorization with 150.00 with card UP-CREDIT-IC by inserting
    Then the host approved the last pre-authorization completion request
    And it refers to the original authorization

  # 预授权撤销 (cup8583.md §3.7: F38 = the pre-authorization's code, F61 = its batch + trace + date; §6:
  # 原预授权码 on the voucher). A void the acquirer declines (05) leaves the pre-authorization as it was:
  # the void that follows names it just the same. Voiding one pre-authorization leaves every other one as
  # it was: the earlier pre-authorization is then completed naming itself by F38 and F61 (§2.5, §3.7).
  @CUP-PAY-034 @severity:normal @mandatory @contact @printer
  Scenario: Pre-authorization void names the pre-authorization on the wire and on the voucher
    Given a pre-authorization of 150.00 was approved for card UP-CREDIT-IC
    And a pre-authorization of 260.00 was approved for card UP-CREDIT-IC
    And the host will answer the next pre-authorization void request with response code "05"
    When the operator voids the pre-authorization with card UP-CREDIT-IC by inserting
    Then the host received a pre-authorization void request
    And the host answered it with "05"
    When the operator voids the pre-authorization with card UP-CREDIT-IC by inserting
    Then the screen shows "交易成功"
    And the host received a pre-authorization void request
    And it names the original authorization code
    And it refers to the original authorization
    And its amount is 260.00
    And the host approved it
    And every copy shows the original authorization code
    And every amount on every copy is one the host booked
    And no copy names another kind of transaction
    When the operator completes the first pre-authorization with 150.00 with card UP-CREDIT-IC by inserting
    Then the host approved the last pre-authorization completion request
    And it refers to the original authorization

  @CUP-PAY-033 @severity:normal @optional @contact @printer
  # 追加预授权 (cup8583.md §3.1 F25 = 60, §2.5, §6 ADD-AUTH): a terminal that offers it sends an addition to the
  # pre-authorization it names (F38), not a second pre-authorization; the hold grows by the amount added and
  # the completion may reach the new total. A terminal whose profile does not declare additionalPreAuth is skipped.
  Scenario: Additional pre-authorization (追加预授权) raises the hold and the completion may reach the new total
    Given the terminal offers additional pre-authorization
    And a pre-authorization of 300.00 was approved for card UP-CREDIT-IC
    When the operator adds 200.00 to the pre-authorization with card UP-CREDIT-IC by inserting
    Then the screen shows "交易成功"
    And the host received an additional pre-authorization request
    And it names the original authorization code
    And its amount is 200.00
    And its MAC is present and valid
    And the host approved it
    And every copy shows "追加预授权"
    And every amount on every copy is one the host booked
    And no copy names another kind of transaction
    And the card UP-CREDIT-IC has 500.00 more on hold
    When the operator completes the pre-authorization with 480.00 with card UP-CREDIT-IC by inserting
    Then the host approved the last pre-authorization completion request
    And the card UP-CREDIT-IC is debited 480.00

  @CUP-PAY-035 @severity:normal @optional @contact
  # 追加预授权 then 预授权撤销 (cup8583.md §3.1, §3.7): the void names the pre-authorization's whole authorised
  # total (F4), the original amount and every addition, and the acquirer releases the whole hold. An addition
  # the card declines after the acquirer's approval (ARPC failed, §3.8: reversed with 06) adds nothing. A
  # terminal whose profile does not declare additionalPreAuth is skipped.
  Scenario: A pre-authorization void after 追加预授权 names the new total and releases the whole hold
    Given the terminal offers additional pre-authorization
    And a pre-authorization of 300.00 was approved for card UP-CREDIT-IC
    When the operator adds 200.00 to the pre-authorization with card UP-CREDIT-IC by inserting
    Then the host approved the last additional pre-authorization request
    Given the host will corrupt the issuer authentication data of its reply to the next additional pre-authorization request
    When the operator adds 100.00 to the pre-authorization with card UP-CREDIT-IC by inserting
    And the operator voids the pre-authorization with card UP-CREDIT-IC by inserting
    Then the host approved the last pre-authorization void request
    And its amount is 500.00
    And the card UP-CREDIT-IC has 0.00 more on hold
