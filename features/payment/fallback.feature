@payment
Feature: Payment — magstripe fallback (磁条降级) after a failed chip read
  A chip card (service code 2xx / 6xx) is read by its chip. Only when its chip does not answer may
  the terminal take a swipe instead, and that swipe must say so: the fallback entry mode in F22 (80x,
  or 02x with 60.5 = 2) and no chip data (cup8583.md §2.3, §2.4). The issuer decides per card whether
  it takes a fallback; when it does not, it answers 45 and the terminal shows 请使用芯片 (§7).
  A chip card swiped while its chip was never tried is refused at the terminal (请插卡).

  @CUP-PAY-040 @severity:critical @mandatory @contact @magstripe
  Scenario: A chip that does not answer — the card is swiped as a fallback and the issuer approves
    When the operator selects "消费"
    And the operator enters the amount 66.00
    And the cardholder inserts card UP-DEBIT-IC whose chip does not answer
    Then the terminal asks for the card to be swiped instead
    When the cardholder swipes card UP-DEBIT-IC
    And the cardholder enters the correct PIN
    Then the screen shows "交易成功"
    And the host received a sale request
    And it is marked as a fallback
    And it carries an encrypted PIN block
    And the host approved it
    And the card UP-DEBIT-IC is debited 66.00

  @CUP-PAY-041 @severity:critical @mandatory @contact @magstripe @printer
  Scenario: The issuer refuses fallback — 45 is shown as 请使用芯片 and nothing is charged
    When the operator selects "消费"
    And the operator enters the amount 66.00
    And the cardholder inserts card UP-CREDIT-IC whose chip does not answer
    Then the terminal asks for the card to be swiped instead
    When the cardholder swipes card UP-CREDIT-IC
    And the cardholder enters the correct PIN
    Then the screen shows the message for response code "45"
    And no screen showed "交易成功"
    And the host received a sale request
    And it is marked as a fallback
    And the host answered it with "45"
    And the balance of card UP-CREDIT-IC is unchanged
    And no voucher is printed

  @CUP-PAY-042 @severity:critical @mandatory @contact @magstripe
  Scenario: A chip card swiped before its chip was tried is refused — 请插卡, nothing sent
    When the operator selects "消费"
    And the operator enters the amount 66.00
    And the cardholder swipes card UP-DEBIT-IC
    Then the terminal refuses the swipe and asks for the chip
    And no screen invited a fallback swipe
    And the host received no financial request
    When the operator cancels

  # A failed tap is no failed chip read: the contact chip was never tried, so nothing may offer the magstripe,
  # and a swipe of the card after it is refused like any chip card swiped before its chip was tried (CUP-PAY-042).
  @CUP-PAY-043 @severity:normal @mandatory @contact @contactless @magstripe
  Scenario: A tap whose chip does not answer opens no fallback — no swipe invited, nothing sent
    When the operator selects "消费"
    And the operator enters the amount 66.00
    And the cardholder taps card UP-DEBIT-CTLS whose chip does not answer
    Then no screen invited a fallback swipe
    When the cardholder swipes card UP-DEBIT-CTLS
    Then the terminal refuses the swipe and asks for the chip
    And the host received no financial request
    When the operator cancels
