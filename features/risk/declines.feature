@risk
Feature: Risk — declined cards and issuer answers
  A declined transaction must look declined: the message the UnionPay rules recommend for the
  response code, no voucher, no money moved. A card the issuer reports lost or stolen must send the
  merchant to the bank, not to a retry.

  Scenario Outline: <case> card is declined with <code> and the right message
    When the operator selects "消费"
    And the operator enters the amount <amount>
    And the cardholder <entry> card <card>
    And the cardholder enters the correct PIN
    Then the screen shows "<message>"
    And no screen showed "交易成功"
    And the host answered it with "<code>"
    And the balance of card <card> is unchanged
    And no voucher is printed

    @CUP-RSK-001 @severity:critical @mandatory @contact @printer
    Examples: lost
      | case | amount | entry   | card       | code | message |
      | Lost | 10.00  | inserts | UP-LOST-IC | 41   | 挂失卡  |

    @CUP-RSK-002 @severity:critical @mandatory @contact @printer
    Examples: stolen
      | case   | amount | entry   | card         | code | message |
      | Stolen | 10.00  | inserts | UP-STOLEN-IC | 43   | 被窃卡  |

    @CUP-RSK-004 @severity:critical @mandatory @contact @printer
    Examples: insufficient funds
      | case            | amount  | entry   | card           | code | message      |
      | Low-balance     | 5000.00 | inserts | UP-LOWBAL-IC   | 51   | 可用余额不足 |

  @CUP-RSK-003 @severity:critical @mandatory @magstripe @printer
  Scenario: Expired card is refused and never approved
    When the operator selects "消费"
    And the operator enters the amount 10.00
    And the cardholder swipes card UP-EXPIRED-MAG
    And the cardholder enters the correct PIN if asked
    Then the screen shows "该卡已过期"
    And no screen showed "交易成功"
    And the balance of card UP-EXPIRED-MAG is unchanged
    And no voucher is printed

  @CUP-RSK-005 @severity:critical @mandatory @contact
  Scenario Outline: Lost and stolen cards tell the merchant to contact the bank (<code>)
    When a sale of 10.00 is made with card <card> by inserting
    Then the screen shows "请联系银行"

    Examples:
      | card         | code |
      | UP-LOST-IC   | 41   |
      | UP-STOLEN-IC | 43   |

  @CUP-RSK-006 @severity:normal @mandatory @contact @printer
  Scenario Outline: Issuer answer <code> is shown as a failure with its message
    Given the host will answer the next sale request with response code "<code>"
    When a sale of 16.00 is made with card UP-DEBIT-IC by inserting
    Then the screen shows "<message>"
    And no screen showed "交易成功"
    And the balance of card UP-DEBIT-IC is unchanged
    And no voucher is printed

    Examples:
      | code | message          |
      | 05   | 持卡人认证失败   |
      | 14   | 无效卡号         |
      | 51   | 可用余额不足     |
      | 61   | 交易金额超限     |
      | 91   | 发卡方状态不正常 |
      | 96   | 交换中心异常     |

  @CUP-RSK-007 @severity:critical @mandatory @contact
  Scenario: Over the card's limit is declined with 61
    When a sale of 60,000.00 is made with card UP-CREDIT-IC by inserting
    Then the screen shows "交易金额超限"
    And the host answered it with "61"
    And the balance of card UP-CREDIT-IC is unchanged
